package dev.squeeze.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.results.RunStore;
import dev.squeeze.results.Trial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a real search process with SIGKILL in the middle of a generation, resumes it, and checks that
 * nothing finished was lost or repeated and that the front equals an uninterrupted run's.
 */
class KillAndResumeTest {
    @TempDir
    Path dir;

    @Test
    void sigkillMidGenerationThenResumeLosesNothing() throws Exception {
        SearchProcess.run(SearchProcess.job(dir.resolve("whole-results"), "whole", 1), dir.resolve("whole.log"));

        Process victim = SearchProcess.start(SearchProcess.job(dir.resolve("killed-results"), "killed", 1), dir.resolve("killed.log"));
        Path killed = dir.resolve("killed-results").resolve("killed");
        Path trials = killed.resolve(RunStore.TRIALS);
        int target = 12; // past the first generation (8 seeds + sensitivity table run first), mid-way through the second
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
        while (lines(trials) < target && victim.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(victim.isAlive(), "the run finished before it could be killed: " + Files.readString(dir.resolve("killed.log")));
        int before = lines(trials);
        new ProcessBuilder("kill", "-9", Long.toString(victim.pid())).start().waitFor();
        victim.waitFor();
        List<Trial> atKill = RunStore.open(killed).readTrials().trials();
        assertTrue(atKill.size() >= before - 1, "trials flushed before the kill were lost");

        SearchProcess.run(SearchProcess.command("--resume", killed.toString(), "--results", dir.resolve("killed-results").toString(), "--quiet"),
                dir.resolve("resumed.log"));

        List<Trial> after = RunStore.open(killed).readTrials().trials();
        assertEquals(atKill, after.subList(0, atKill.size()), "trials completed before the kill must stay as they were");
        var ids = new HashSet<String>();
        var keys = new HashSet<String>();
        for (Trial t : after) {
            assertTrue(ids.add(t.id()), "duplicate trial id " + t.id());
            assertTrue(keys.add(t.plan().key() + "@" + t.fidelity()), "plan evaluated twice: " + t.id());
        }
        JsonNode wholeFront = Json.json().readTree(dir.resolve("whole-results").resolve("whole").resolve("front.json").toFile()).get("front");
        JsonNode resumedFront = Json.json().readTree(killed.resolve("front.json").toFile()).get("front");
        assertEquals(wholeFront, resumedFront);
    }

    private static int lines(Path file) throws Exception {
        if (!Files.exists(file)) return 0;
        try (var s = Files.lines(file)) {
            return (int) s.filter(l -> !l.isBlank()).count();
        }
    }
}
