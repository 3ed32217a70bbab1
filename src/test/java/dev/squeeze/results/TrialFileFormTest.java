package dev.squeeze.results;

import dev.squeeze.Json;
import dev.squeeze.SqueezeException;
import dev.squeeze.model.CompressionPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** trials.jsonl as runs wrote it before fidelities and evaluators were typed reads unchanged, and new lines keep its form. */
class TrialFileFormTest {
    /** A line as squeeze wrote it when fidelity was a plain string (and before trials named their evaluator). */
    static final String OLD_LINE = "{\"id\":\"t0001\",\"generation\":2,\"plan\":{\"defaults\":{\"prune_ratio\":0.25,\"weight_bits\":8,"
            + "\"act_bits\":8},\"layers\":{}},\"values\":{\"accuracy\":0.9,\"accuracy_measured\":0.88,\"latency_ms\":1.5},"
            + "\"slack\":{},\"violation\":0.0,\"fidelity\":\"recovered\",\"cache_hit\":false,\"seconds\":3.5}";

    @Test
    void fidelitiesKeepTheirLowerCaseFileForm() {
        for (Fidelity f : Fidelity.values()) {
            assertEquals("\"" + f.name().toLowerCase() + "\"", Json.line(f));
            assertEquals(f, Fidelity.of(f.key()));
            assertEquals(f.key(), f.toString(), "tables and log lines print the file form");
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Fidelity.of("MEASURED"));
        assertTrue(e.getMessage().contains("predicted, measured, recovered"), e.getMessage());
    }

    @Test
    void oldTrialLinesReadAndWriteBackUnchanged(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(RunStore.TRIALS), OLD_LINE + "\n");
        List<Trial> read = RunStore.open(dir).readTrials().trials();
        assertEquals(1, read.size());
        Trial t = read.get(0);
        assertEquals(Fidelity.RECOVERED, t.fidelity());
        assertEquals(0.88, t.values().get(Objective.ACCURACY.keyAt(Fidelity.MEASURED)));
        assertEquals(Json.json().readTree(OLD_LINE), Json.json().readTree(Json.line(t)));
    }

    @Test
    void newTrialLinesNameTheirEvaluator(@TempDir Path dir) throws Exception {
        var by = new EvaluatedBy("evaluators/default.yaml", "0123456789abcdef", "measured on 500 calibration images, l1 importance");
        var t = new Trial("t0002", 1, CompressionPlan.uniform("w8a8"), Map.of("accuracy", 0.9), Map.of(), 0, Fidelity.MEASURED, false, 1.0,
                "10.0.0.5:5701", by);
        String line = Json.line(t);
        assertTrue(line.contains("\"evaluated_by\":{\"evaluator\":\"evaluators/default.yaml\",\"spec_hash\":\"0123456789abcdef\","
                + "\"rung\":\"measured on 500 calibration images, l1 importance\"}"), line);
        Files.writeString(dir.resolve(RunStore.TRIALS), OLD_LINE + "\n" + line + "\n");
        List<Trial> read = RunStore.open(dir).readTrials().trials();
        assertEquals(null, read.get(0).evaluatedBy(), "a line written before trials named their evaluator");
        assertEquals(t, read.get(1));
    }

    @Test
    void anUnknownFidelityIsAOneLineErrorNamingTheLine(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(RunStore.TRIALS), OLD_LINE.replace("\"recovered\"", "\"guessed\"") + "\n" + OLD_LINE + "\n");
        var e = assertThrows(SqueezeException.class, () -> RunStore.open(dir).readTrials());
        assertTrue(e.getMessage().contains("trials.jsonl:1 is not a trial record"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown fidelity 'guessed'"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void frontCsvNamesFidelitiesAsBefore() {
        var t = new Trial("t0007", 1, CompressionPlan.uniform("w8a8"), Map.of("accuracy", 0.9, "latency_ms", 1.0), Map.of(), 0,
                Fidelity.MEASURED, false, 1);
        var front = FrontReport.of("run", List.of(Objective.ACCURACY, Objective.LATENCY_MS), List.of(t),
                List.of(new FrontReport.Baseline("uncompressed", Map.of("accuracy", 0.91, "latency_ms", 2.0), CompressionPlan.none())), "generations");
        String csv = front.csv(List.of("accuracy", "latency_ms"));
        assertTrue(csv.contains("front,t0007,measured,0.9,1.0"), csv);
        assertTrue(csv.contains("baseline,uncompressed,measured,0.91,2.0"), csv);
        assertTrue(Json.write(front).contains("\"fidelity\" : \"measured\""), Json.write(front));
    }
}
