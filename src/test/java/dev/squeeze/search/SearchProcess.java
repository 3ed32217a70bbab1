package dev.squeeze.search;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `squeeze search` as a separate JVM on the test job (fashion-cnn, a tiny space and evaluator), as a user runs it. */
public final class SearchProcess {
    private SearchProcess() {}

    public static List<String> command(String... args) {
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-XX:+ExplicitGCInvokesConcurrent", "-Dorg.eclipse.deeplearning4j.helpers.disable=false",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), "dev.squeeze.cli.Main", "search"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The test job into {@code results}/{@code runId}, with {@code threads} workers. */
    public static List<String> job(Path results, String runId, int threads) {
        return command("--model", "fashion-cnn", "--space", resource("tiny-space.yaml"), "--evaluator", resource("tiny-evaluator.yaml"),
                "--device", "raspberry-pi-4", "--objectives", "accuracy,latency_ms", "--population", "8", "--generations", "4",
                "--seed", "3", "--threads", Integer.toString(threads), "--quiet", "--results", results.toString(), "--run-id", runId);
    }

    public static Process start(List<String> cmd, Path log) throws Exception {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** As {@link #start(List, Path)}, in {@code workingDir} (where a crashing JVM leaves its hs_err_pid*.log). */
    static Process start(List<String> cmd, Path log, Path workingDir) throws Exception {
        return new ProcessBuilder(cmd).directory(workingDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Runs to the end and asserts success (the log is the failure message). */
    public static void run(List<String> cmd, Path log) throws Exception {
        Process p = start(cmd, log);
        assertTrue(p.waitFor(8, TimeUnit.MINUTES), "search took too long");
        assertEquals(0, p.exitValue(), Files.readString(log));
    }

    static String resource(String name) {
        return Path.of("src/test/resources/jobs", name).toAbsolutePath().toString();
    }
}
