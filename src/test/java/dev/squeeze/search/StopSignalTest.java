package dev.squeeze.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.RunStore;
import dev.squeeze.results.Trial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM, what schedulers and containers send, stops a real search process cleanly wherever it is. One run is stopped
 * four times, each time continued with the resume command its last line printed: during the baselines, during the
 * sensitivity table, during a recovered-rung fine-tune, and during a generation; the fifth process finishes it. Each stop
 * must exit 143 (as README documents) with front.json, front.csv and trials.jsonl intact, lose and repeat nothing, and
 * leave no JVM crash log; the finished run has every generation and trial ids without gaps. (That a resumed run reaches
 * the uninterrupted run's front is KillAndResumeTest's: a clean stop leaves what a kill leaves, plus front.json.)
 */
class StopSignalTest {
    private static final String JOB_GENERATIONS = "6"; // enough that the run cannot end before a stop sent in its second generation lands

    @TempDir
    Path dir;

    @Test
    void sigtermStopsCleanlyAtEachStageAndResumeFinishesTheRun() throws Exception {
        long started = System.nanoTime();
        Path work = Files.createDirectories(dir.resolve("work")); // every process's working directory
        Path run = dir.resolve("results").resolve("stopped");
        List<String> cmd = job(dir.resolve("results"), "stopped");

        cmd = stopWhen("baselines", cmd, run, log -> log.contains("measuring the baselines"));
        JsonNode front = front(run);
        assertEquals(0, front.get("baselines").size(), "stopped before the baselines were all measured");
        assertTrue(trials(run).isEmpty());

        cmd = stopWhen("sensitivity", cmd, run, log -> log.contains("building the sensitivity table"));
        assertEquals(3, front(run).get("baselines").size(), "the baselines were measured before the table");
        assertTrue(trials(run).isEmpty(), "stopped before the first generation");

        Path firstCheckpoint = run.resolve("checkpoints").resolve("gen-0000.json");
        // the first generation's trials are recorded, its checkpoint not yet: its promotion to the recovered rung is running
        cmd = stopWhen("recovery", cmd, run, log -> !trials(run).isEmpty() && !Files.exists(firstCheckpoint));
        assertFalse(Files.exists(firstCheckpoint), "stopped inside the first generation's recovery");
        assertTrue(trials(run).stream().noneMatch(t -> t.fidelity() == Fidelity.RECOVERED), "the abandoned fine-tune left no trial");

        cmd = stopWhen("generation", cmd, run, log -> log.contains("gen 1/" + JOB_GENERATIONS));
        assertTrue(Files.exists(firstCheckpoint));
        assertTrue(trials(run).stream().anyMatch(t -> t.fidelity() == Fidelity.RECOVERED), "the redone recovery was recorded");

        List<Trial> beforeLast = trials(run);
        Path log = dir.resolve("finish.log");
        long finishing = System.nanoTime();
        Process finish = SearchProcess.start(cmd, log, work);
        assertTrue(finish.waitFor(5, TimeUnit.MINUTES), "the resumed run took too long");
        System.out.printf("StopSignalTest: the last resume took %.1f s%n", (System.nanoTime() - finishing) / 1e9);
        assertEquals(0, finish.exitValue(), Files.readString(log));
        List<Trial> done = intactTrials(run);
        assertEquals(beforeLast, done.subList(0, beforeLast.size()));
        assertEquals("generations", front(run).get("stopped_because").asText());
        for (int g = 0; g < Integer.parseInt(JOB_GENERATIONS); g++) {
            assertTrue(Files.exists(run.resolve("checkpoints").resolve(String.format("gen-%04d.json", g))), "generation " + g + " missing");
        }
        for (int i = 0; i < done.size(); i++) assertEquals(String.format("t%04d", i + 1), done.get(i).id(), "trial ids run on without a gap");
        try (Stream<Path> files = Files.list(work)) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hs_err_pid")).toList(),
                    "a JVM crashed");
        }
        System.out.printf("StopSignalTest: four SIGTERM stops and four resumes: %.1f s%n",
                (System.nanoTime() - started) / 1e9);
    }

    /** Condition on the log so far and the run folder. */
    private interface Ready {
        boolean test(String log) throws Exception;
    }

    /**
     * Runs {@code cmd} until {@code ready}, sends it SIGTERM and checks the clean stop: exit code 143, front.json and
     * front.csv written, trials.jsonl whole (every line a trial, none repeated, none lost). Returns the resume command
     * its last line gave.
     */
    private List<String> stopWhen(String stage, List<String> cmd, Path run, Ready ready) throws Exception {
        List<Trial> before = trials(run);
        Path log = dir.resolve(stage + ".log");
        long started = System.nanoTime();
        Process p = SearchProcess.start(cmd, log, dir.resolve("work"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!ready.test(Files.readString(log))) {
            assertTrue(p.isAlive(), stage + ": the run ended before it could be stopped: " + Files.readString(log));
            assertTrue(System.nanoTime() < deadline, stage + ": never reached");
            Thread.sleep(20);
        }
        long signalled = System.nanoTime();
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), stage + ": no exit within a minute of SIGTERM");
        System.out.printf("StopSignalTest: %s: SIGTERM %.1f s after the start, exit %.2f s later%n", stage,
                (signalled - started) / 1e9, (System.nanoTime() - signalled) / 1e9);
        String out = Files.readString(log);
        assertEquals(143, p.exitValue(), stage + ": " + out);
        assertFalse(out.contains("SIGTERM again"), stage + ": stopped at once instead of cleanly");
        JsonNode front = front(run);
        assertEquals("SIGTERM", front.get("stopped_because").asText(), stage);
        assertTrue(Files.isRegularFile(run.resolve("front.csv")), stage);
        List<Trial> after = intactTrials(run);
        assertEquals(before, after.subList(0, before.size()), stage + ": trials recorded before the stop must stay as they were");
        String marker = "continue it with: squeeze search ";
        String line = out.lines().filter(l -> l.contains("the run stopped on SIGTERM") && l.contains(marker)).findFirst()
                .orElseThrow(() -> new AssertionError(stage + ": no line saying how to resume: " + out));
        List<String> args = Arrays.asList(line.substring(line.indexOf(marker) + marker.length()).trim().split(" "));
        assertEquals(List.of("--resume", run.toString(), "--results", run.getParent().toString()), args, stage);
        return SearchProcess.command(args.toArray(String[]::new));
    }

    /** The test job on the recovered rung's evaluator, with progress lines (what the stages are recognised by). */
    private static List<String> job(Path results, String runId) {
        return SearchProcess.command("--model", "fashion-cnn", "--space", SearchProcess.resource("tiny-space.yaml"),
                "--evaluator", SearchProcess.resource("tiny-recovery-evaluator.yaml"), "--device", "raspberry-pi-4",
                "--objectives", "accuracy,latency_ms", "--population", "8", "--generations", JOB_GENERATIONS, "--seed", "3",
                "--threads", "1", "--results", results.toString(), "--run-id", runId);
    }

    private static JsonNode front(Path run) throws Exception {
        return Json.json().readTree(run.resolve("front.json").toFile());
    }

    private static List<Trial> trials(Path run) {
        return Files.isDirectory(run) ? RunStore.open(run).readTrials().trials() : List.of();
    }

    /** trials.jsonl parsed line by line: no partial line, no trial id and no plan at a fidelity twice. */
    private static List<Trial> intactTrials(Path run) {
        if (!Files.exists(run.resolve(RunStore.TRIALS))) return List.of();
        var read = RunStore.open(run).readTrials();
        assertNull(read.skipped(), "trials.jsonl has a partial line");
        var ids = new HashSet<String>();
        var plans = new HashSet<String>();
        for (Trial t : read.trials()) {
            assertTrue(ids.add(t.id()), "duplicate trial id " + t.id());
            assertTrue(plans.add(t.plan().key() + "@" + t.fidelity()), "plan evaluated twice: " + t.id());
        }
        return read.trials();
    }
}
