package dev.squeeze.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
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
    }

    private static JsonNode front(Path run) throws Exception {
        return Json.json().readTree(run.resolve("front.json").toFile()).get("front");
    }

    private static List<Trial> trials(Path run) {
        return RunStore.open(run).readTrials().trials();
    }
}
