package dev.squeeze.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.results.RunStore;
import dev.squeeze.results.Trial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    private List<String> command(String runId, String... extra) {
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dorg.eclipse.deeplearning4j.helpers.disable=false", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), "dev.squeeze.cli.Main", "search"));
        if (runId != null) {
            cmd.addAll(List.of("--model", "fashion-cnn", "--space", resource("tiny-space.yaml"), "--evaluator", resource("tiny-evaluator.yaml"),
                    "--device", "raspberry-pi-4", "--objectives", "accuracy,latency_ms", "--population", "8", "--generations", "4",
                    "--seed", "3", "--threads", "1", "--quiet", "--results", dir.resolve(runId + "-results").toString(), "--run-id", runId));
        }
        cmd.addAll(List.of(extra));
        return cmd;
    }

    private static String resource(String name) {
        return Path.of("src/test/resources/jobs", name).toAbsolutePath().toString();
    }

    private static Process start(List<String> cmd, Path log) throws Exception {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    void sigkillMidGenerationThenResumeLosesNothing() throws Exception {
        Process whole = start(command("whole"), dir.resolve("whole.log"));
        assertTrue(whole.waitFor(8, TimeUnit.MINUTES), "uninterrupted run took too long");
        assertEquals(0, whole.exitValue(), Files.readString(dir.resolve("whole.log")));

        Process victim = start(command("killed"), dir.resolve("killed.log"));
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

        Process resumed = start(command(null, "--resume", killed.toString(), "--results", dir.resolve("killed-results").toString(), "--quiet"),
                dir.resolve("resumed.log"));
        assertTrue(resumed.waitFor(8, TimeUnit.MINUTES));
        assertEquals(0, resumed.exitValue(), Files.readString(dir.resolve("resumed.log")));

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
