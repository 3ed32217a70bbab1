package dev.squeeze.evaluators.cluster;

import dev.squeeze.SqueezeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code squeeze worker} in a JVM of its own on this machine, as a user starts one, with this JVM's classpath: what
 * {@code squeeze bench cluster} measures with, and what the cluster tests kill.
 */
public final class WorkerProcess implements AutoCloseable {
    private static final Pattern BANNER = Pattern.compile("squeeze worker (\\S+:\\d+) in cluster");

    private final Process process;
    private final Path log;
    private final String address;

    private WorkerProcess(Process process, Path log, String address) {
        this.process = process;
        this.log = log;
        this.address = address;
    }

    /**
     * Starts a worker on loopback (automatic port) that joins {@code join} (none: it starts the cluster), waits for it to
     * say its address, and returns it. {@code env} is added to this process's environment (e.g. {@value ClusterSecret#ENV}).
     */
    public static WorkerProcess start(String clusterName, List<Endpoint> join, int threads, Path store, Path log, Map<String, String> env) {
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-XX:+ExplicitGCInvokesConcurrent", "-Dorg.eclipse.deeplearning4j.helpers.disable=false",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        String nativeCache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (nativeCache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + nativeCache);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.squeeze.cli.Main", "worker", "--cluster-name", clusterName,
                "--bind", "127.0.0.1", "--threads", Integer.toString(threads), "--store", store.toString()));
        if (!join.isEmpty()) cmd.addAll(List.of("--join", String.join(",", join.stream().map(Endpoint::toString).toList())));
        var pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                Matcher m = BANNER.matcher(Files.exists(log) ? Files.readString(log) : "");
                if (m.find()) return new WorkerProcess(p, log, m.group(1));
                if (!p.isAlive()) break;
                Thread.sleep(100);
            }
            p.destroyForcibly();
            throw new SqueezeException("the worker did not start: " + (Files.exists(log) ? Files.readString(log).strip() : "no output"));
        } catch (IOException e) {
            throw new SqueezeException("cannot start a worker process: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SqueezeException("interrupted while starting a worker");
        }
    }

    /** {@code host:port}, as the worker printed it. */
    public String address() {
        return address;
    }

    public Endpoint endpoint() {
        return Endpoint.parse(address, "worker");
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** What the worker printed so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGKILL: the worker dies at once, with whatever it was measuring. */
    public void kill() {
        process.destroyForcibly();
        waitFor();
    }

    /** SIGTERM: the worker finishes what it measures and leaves the cluster. */
    @Override
    public void close() {
        if (!process.isAlive()) return;
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        waitFor();
    }

    private void waitFor() {
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
