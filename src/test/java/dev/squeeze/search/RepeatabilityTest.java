package dev.squeeze.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.RunStore;
import dev.squeeze.results.Trial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same job, seed and thread count (two workers evaluating in parallel) gives an identical front.json, and a
 * later run in the same results folder takes every evaluation from the persisted cache and reaches the same front.
 * Every trial says which evaluator and rung made it.
 */
class RepeatabilityTest {
    @TempDir
    Path dir;

    @Test
    void parallelRunsAreIdenticalAndALaterRunReusesTheCache() throws Exception {
        Path first = dir.resolve("first"), second = dir.resolve("second");
        SearchProcess.run(SearchProcess.job(first, "a", 2), dir.resolve("a.log"));
        SearchProcess.run(SearchProcess.job(second, "b", 2), dir.resolve("b.log")); // its own results folder: a fresh cache
        JsonNode front = front(first.resolve("a"));
        assertFalse(front.isEmpty());
        assertEquals(front, front(second.resolve("b")), "same job, seed and threads, fresh caches: front.json must be identical");
        assertTrue(trials(second.resolve("b")).stream().noneMatch(Trial::cacheHit), "a fresh results folder has no cache to hit");

        SearchProcess.run(SearchProcess.job(first, "c", 2), dir.resolve("c.log")); // the folder run "a" cached its evaluations in
        List<Trial> reused = trials(first.resolve("c"));
        assertEquals(trials(first.resolve("a")).size(), reused.size());
        assertTrue(reused.stream().allMatch(Trial::cacheHit), "every evaluation of the repeated job comes from the cache");
        assertEquals(front, front(first.resolve("c")));

        // every trial names the evaluator and rung that made it, and a cache hit names the one that made the cached evaluation
        List<Trial> made = trials(first.resolve("a"));
        String hash = made.get(0).evaluatedBy().specHash();
        for (Trial t : made) {
            EvaluatedBy by = t.evaluatedBy();
            assertTrue(by.evaluator().endsWith("tiny-evaluator.yaml") && by.specHash().equals(hash), t.id() + ": " + by);
            assertTrue(by.rung().startsWith(t.fidelity() == Fidelity.PREDICTED ? "predicted from the sensitivity table, screen drop 0.3"
                    : "accuracy measured on 300 calibration images, l1 importance"), t.id() + " " + t.fidelity() + ": " + by.rung());
        }
        assertTrue(made.stream().anyMatch(t -> t.fidelity() == Fidelity.MEASURED), "the run measured plans");
        assertEquals(made.stream().map(Trial::evaluatedBy).toList(), reused.stream().map(Trial::evaluatedBy).toList());

        // provenance names every input with the SHA-256 of its bytes (a job file too, when the run has one)
        JsonNode inputs = Json.json().readTree(first.resolve("a").resolve("provenance.json").toFile()).get("inputs");
        assertTrue(inputs.size() >= 4, "model, space, evaluator and device: " + inputs);
        inputs.fields().forEachRemaining(e -> assertTrue(e.getValue().asText().matches("[0-9a-f]{64}"), e.getKey() + ": " + e.getValue()));
    }

    private static JsonNode front(Path run) throws Exception {
        return Json.json().readTree(run.resolve("front.json").toFile()).get("front");
    }

    private static List<Trial> trials(Path run) {
        return RunStore.open(run).readTrials().trials();
    }
}
