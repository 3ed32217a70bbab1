package dev.squeeze.export;

import dev.squeeze.onnx.OnnxRunner;
import dev.squeeze.onnx.LatencyTiming;
import dev.squeeze.onnx.OnnxFixtures;
import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Objective;
import dev.squeeze.results.RunStore;
import dev.squeeze.results.Trial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportingTest {
    @TempDir
    Path results;

    /** A run folder as the search writes it, with two trials. */
    private void writeRun() {
        try (RunStore store = RunStore.create(results.resolve("r1"))) {
            var job = new LinkedHashMap<String, Object>();
            job.put("schema", "squeeze-job/v1");
            job.put("model", "fashion-cnn");
            job.put("space", "fashion-cnn");
            job.put("evaluator", "default");
            job.put("device", "raspberry-pi-4");
            job.put("objectives", List.of("accuracy", "latency_ms"));
            job.put("batch", 1);
            store.writeYaml("run.yaml", job);
            var small = new CompressionPlan(new CompressionPlan.LayerPlan(0, 8, 8),
                    Map.of("conv2", new CompressionPlan.LayerPlan(0.25, 4, 8)), new CompressionPlan.Distillation(4, 0.3, List.of()));
            store.append(new Trial("g3-07", 3, small, Map.of("accuracy", 0.91, "latency_ms", 0.12), Map.of(), 0, Fidelity.RECOVERED, false, 1));
            store.append(new Trial("g1-02", 1, CompressionPlan.uniform("w8a8"), Map.of("accuracy", 0.92, "latency_ms", 0.25), Map.of(), 0,
                    Fidelity.MEASURED, false, 1));
        }
    }

    @Test
    void exportsATrialThatOnnxRuntimeRunsAsTheManifestSays() throws Exception {
        writeRun();
        var r = Exporting.run(new Exporting.Request("r1", results, TrialChoice.of("g3-07"), 0.02, false, null, 2), Progress.NONE);
        Path dir = results.resolve("r1/exports/g3-07");
        assertEquals(dir, r.dir());
        for (String f : List.of("model.zip", "model.onnx", "manifest.json")) assertTrue(Files.size(dir.resolve(f)) > 0, f);
        JsonNode m = Json.json().readTree(dir.resolve("manifest.json").toFile());
        for (String k : List.of("trial", "plan", "predicted", "accuracy", "agreement", "provenance", "layers")) assertTrue(m.has(k), k + " in " + m);
        for (String k : List.of("latency_ms", "energy_mj", "size_mb")) assertTrue(m.get("predicted").get(k).asDouble() > 0, k);
        assertTrue(m.get("agreement").asDouble() >= 0.995, "agreement " + m.get("agreement"));
        assertEquals("ai.onnx 21", m.get("onnx_opset").asText(), "conv2's int4 weights need opset 21");

        // The ONNX file alone, run again, gives the manifest's ONNX Runtime accuracy.
        var test = TestData.splits().test();
        try (OnnxRunner runner = OnnxRunner.of(dir.resolve("model.onnx"), 1)) {
            assertEquals(m.at("/accuracy/onnxruntime").asDouble(), runner.accuracy(test, ModelStore.load("fashion-cnn").encoding()), 1e-9);
        }
        JsonNode conv2 = null;
        for (JsonNode l : m.get("layers")) if (l.get("name").asText().equals("conv2")) conv2 = l;
        assertEquals(48, conv2.get("kept_units").asInt());
        assertEquals(4, conv2.get("weight_bits").asInt());
        assertEquals(48, conv2.at("/weight_scales/W").size());
        assertEquals(48, ModelStore.load(dir.resolve("model.zip").toString()).graph().prunableUnits("conv2"));

        // measured beside predicted: a real timing of this file, here, beside uniform int8
        JsonNode measured = m.get("measured");
        for (String k : List.of("latency_ms", "uniform_int8_latency_ms", "speedup_over_uniform_int8", "contradicts", "method")) {
            assertTrue(measured.has(k), k + " in " + measured);
        }
        double manifestMs = measured.get("latency_ms").asDouble();
        assertEquals(measured.get("uniform_int8_latency_ms").asDouble() / manifestMs, measured.get("speedup_over_uniform_int8").asDouble(), 1e-9);
        try (OnnxRunner runner = OnnxRunner.of(dir.resolve("model.onnx"), 1)) {
            double again = new LatencyTiming(5, 10, 40).medianMillis(List.of(runner), OnnxFixtures.features(ModelStore.load("fashion-cnn").encoding(), 1))[0];
            assertTrue(manifestMs > again / 3 && manifestMs < again * 3, "manifest " + manifestMs + " ms, the file timed again " + again + " ms");
        }
        assertTrue(m.get("finetune").get("validation_images").asInt() > 0, m.get("finetune").toString());
        assertTrue(m.get("finetune").get("kept").asText().contains("fine-tuned"), m.get("finetune").toString());

        var again = assertThrows(SqueezeException.class,
                () -> Exporting.run(new Exporting.Request("r1", results, TrialChoice.of("g3-07"), 0.0, false, null, 1), Progress.NONE));
        assertTrue(again.getMessage().contains("--force"), again.getMessage());
    }

    @Test
    void unknownTrialsAndRulesThatMatchNothingSayWhatExists() {
        writeRun();
        var unknown = assertThrows(SqueezeException.class,
                () -> Exporting.run(new Exporting.Request("r1", results, TrialChoice.of("g9-99"), 0.0, false, null, 1), Progress.NONE));
        assertTrue(unknown.getMessage().contains("g3-07") && unknown.getMessage().contains("g1-02"), unknown.getMessage());
        var noRun = assertThrows(SqueezeException.class,
                () -> Exporting.run(new Exporting.Request("nope", results, TrialChoice.of("g3-07"), 0.0, false, null, 1), Progress.NONE));
        assertTrue(noRun.getMessage().contains("r1"), noRun.getMessage());
        var rule = new TrialChoice(null, Map.of(Objective.LATENCY_MS, 0.2), Objective.ACCURACY);
        assertEquals("g3-07", rule.pick(RunStore.open(results.resolve("r1")).readTrials().trials(), "r1").id());
        var none = new TrialChoice(null, Map.of(Objective.LATENCY_MS, 0.01), Objective.ACCURACY);
        assertThrows(SqueezeException.class, () -> none.pick(RunStore.open(results.resolve("r1")).readTrials().trials(), "r1"));
        var three = new TrialChoice(null, Map.of(Objective.SIZE_MB, 1.0, Objective.ACCURACY, 0.9, Objective.LATENCY_MS, 0.2), Objective.ACCURACY);
        assertEquals("{accuracy=>= 0.9, latency_ms=<= 0.2, size_mb=<= 1.0}", three.describe(), "limits in objective order, accuracy a floor");
    }
}
