package dev.squeeze.hardware;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

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

    private static ProfileValidation.Result result(double fp32, double int8) {
        return new ProfileValidation.Result("local-cpu", "fashion-cnn", 1, List.of(), 0.9, 1, 0.05, Map.of("fp32", fp32, "int8", int8));
    }
}
