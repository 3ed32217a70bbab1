package dev.squeeze.hardware;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.cli.Main;
import dev.squeeze.model.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cost and profiles commands end to end, through the same entry point users run. */
class CostCliTest {
    record Run(int code, String out, String err) {}

    static Run squeeze(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void costPrintsJsonWithDesignKeys() throws Exception {
        Run r = squeeze("cost", "--spec", "resnet18", "--device", "nvidia-t4", "--uniform", "w8a8", "--batch", "8", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = Json.json().readTree(r.out());
        assertEquals("nvidia-t4", json.get("device").asText());
        assertTrue(json.get("total").get("latency_ms").asDouble() > 0);
        assertEquals("int8", json.get("layers").get(0).get("format").asText());
        assertTrue(json.get("warnings").isArray());
    }

    @Test
    void costPrintsATableWithTotals() {
        Run r = squeeze("cost", "--spec", "fashion-cnn", "--device", "raspberry-pi-4", "--uniform", "w8a8p0.25");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("conv2") && r.out().contains("compute") && r.out().contains("total: latency"), r.out());
    }

    @Test
    void unknownDeviceIsOneLineListingKnownDevicesWithExitCode2() {
        Run r = squeeze("cost", "--spec", "fashion-cnn", "--device", "tpu-v9");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("unknown device 'tpu-v9'") && r.err().contains("coral-edge-tpu") && r.err().contains("nvidia-h100"), r.err());
    }

    @Test
    void profilesListAndShow() {
        Run list = squeeze("profiles", "list");
        assertEquals(0, list.code(), list.err());
        for (String name : Profiles.BUILT_IN) assertTrue(list.out().contains(name), list.out());
        Run show = squeeze("profiles", "show", "nvidia-h100");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("# ") && show.out().contains("datasheet"), show.out());
    }

    @Test
    void benchmarkReportsPlansPerSecond() {
        Run r = squeeze("cost", "--spec", "fashion-cnn", "--device", "raspberry-pi-4", "--benchmark", "20000", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("totals_per_second"), r.out());
    }

    @Test
    void calibrateWritesALoadableLocalProfile(@TempDir Path dir) throws Exception {
        Backend.init();
        Path out = dir.resolve("local-cpu.yaml");
        Run r = squeeze("profiles", "calibrate", "--quick", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        HardwareProfile p = Profiles.load(out.toString());
        assertEquals("local-cpu", p.name());
        assertTrue(p.spec(Format.FP32).peakOps() > 1e9 && p.spec(Format.INT8).peakOps() > 1e9, p.toString());
        assertTrue(p.memoryBandwidth() > 1e8 && p.kernelOverhead() > 0 && p.kernelOverhead() < 1e-3, p.toString());
        for (Format f : List.of(Format.FP32, Format.INT8)) {
            var spec = p.spec(f);
            assertTrue(spec.kernelOverhead() > 0 && spec.kernelOverhead() < 1e-3 && spec.rowOverhead() >= 0 && spec.rowOverhead() < 1e-6, f + ": " + spec);
        }
        assertTrue(p.onChipBandwidth() > 1e9, "cache bandwidth " + p.onChipBandwidth());
        String text = Files.readString(out);
        assertTrue(text.contains("ort_fp32_matmul_") && text.contains("nd4j_fp32_gemm_") && text.contains("copy_bandwidth"), text);
        Run cost = squeeze("cost", "--spec", "fashion-cnn", "--device", out.toString(), "--uniform", "w8a8");
        assertEquals(0, cost.code(), cost.err());
    }
}
