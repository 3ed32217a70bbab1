package dev.squeeze.hardware;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** validate warns when the formats ran at different multiples of their predictions (the machine drifted since calibration). */
class ProfileValidationTest {
    @Test
    void warnsWhenFormatsDriftApart() {
        // the per-format scales of two real validations on this VM: one steady (rho 0.957), one after a drift (rho 0.830)
        assertNull(result(1.10, 1.06).drift());
        String warning = result(1.30, 1.57).drift();
        assertTrue(warning != null && warning.contains("fp32 plans 1.30x and int8 plans 1.57x") && warning.contains("profiles calibrate"),
                String.valueOf(warning));
    }

    /** The draw covers every format the export emits, on a sequential and on a graph model alike. */
    @Test
    void plansMixEveryFormatTheExportEmits() {
        dev.squeeze.model.Backend.init();
        var m = dev.squeeze.model.ModelStore.load("fashion-cnn");
        var plans = ProfileValidation.plans(m, 40, 42, 8);
        assertEquals(40, plans.size());
        assertEquals(java.util.Set.of("fp32", "int8", "int4", "mixed"),
                plans.stream().map(ProfileValidation.Drawn::format).collect(java.util.stream.Collectors.toSet()));
        for (var d : plans) {
            var bits = java.util.stream.Stream.of("conv1", "conv2", "dense1", "output").map(l -> d.plan().forLayer(l).weightBits()).toList();
            switch (d.format()) {
                case "fp32" -> assertEquals(List.of(32, 32, 32, 32), bits, d.toString());
                case "int8" -> assertEquals(List.of(8, 8, 8, 8), bits, d.toString());
                case "int4" -> assertEquals(List.of(4, 4, 4, 4), bits, d.toString());
                default -> assertTrue(bits.stream().allMatch(b -> b == 32 || b == 8 || b == 4), d.toString());
            }
        }
        assertTrue(plans.stream().filter(d -> d.format().equals("mixed"))
                .anyMatch(d -> d.plan().forLayer("conv2").weightBits() != d.plan().forLayer("dense1").weightBits()), "some mixed plan mixes");
        assertTrue(plans.stream().anyMatch(d -> d.plan().forLayer("conv2").pruneRatio() > 0), "plans are pruned too");
    }

    private static ProfileValidation.Result result(double fp32, double int8) {
        return new ProfileValidation.Result("local-cpu", 1, List.of(), List.of(), 0.9, 1, 0.05, Map.of("fp32", fp32, "int8", int8));
    }
}
