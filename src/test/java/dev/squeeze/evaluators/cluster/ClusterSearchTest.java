package dev.squeeze.evaluators.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.results.RunStore;
import dev.squeeze.results.Trial;
import dev.squeeze.search.SearchProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two worker processes on loopback, a search of the test job with {@code --cluster}, and one worker SIGKILLed in the middle
 * of a generation: the search completes, trials.jsonl holds every trial of a local run of the same job and seed (same ids,
 * plans, fidelities and values) once each, and front.json equals the local run's. Evaluation is deterministic per plan, so
 * any difference is a lost, repeated or mis-ordered result. A second search of the job, without the first one's local
 * cache, then measures nothing: every result comes from the cluster's results map (what a search resumed after its own
 * process was killed relies on).
 */
class ClusterSearchTest {
    private static final String SECRET = "cluster-test-secret-0123456789";

    @TempDir
    Path dir;

    @Test
    void aWorkerKilledMidGenerationLosesNothingAndTheFrontEqualsALocalRun() throws Exception {
        long started = System.nanoTime();
        String name = "test-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000; // no other test's cluster
        var env = Map.of(ClusterSecret.ENV, SECRET);
        // the local reference run overlaps the workers' start-up
        Process local = SearchProcess.start(SearchProcess.job(dir.resolve("local-results"), "local", 1), dir.resolve("local.log"));
        try (var a = WorkerProcess.start(name, List.of(), 1, dir.resolve("store-a"), dir.resolve("worker-a.log"), env);
             var b = WorkerProcess.start(name, List.of(a.endpoint()), 1, dir.resolve("store-b"), dir.resolve("worker-b.log"), env)) {
            var cmd = new ArrayList<>(SearchProcess.job(dir.resolve("cluster-results"), "cluster", 1));
            cmd.remove("--quiet"); // the progress lines say which worker left
            cmd.addAll(List.of("--cluster", a.address(), "--cluster-name", name));
            var pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("cluster.log").toFile());
            pb.environment().putAll(env);
            Process search = pb.start();

            // mid-generation: generation 0 is recorded, and b has just finished a plan of the next batch (the search sends it
            // the next one at once), so b dies with a plan under way
            Path trials = dir.resolve("cluster-results").resolve("cluster").resolve(RunStore.TRIALS);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (lines(trials) < 8 && search.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
            int measuredByB = evaluations(b.log());
            while (evaluations(b.log()) == measuredByB && search.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(search.isAlive(), "the search ended before a worker could be killed: " + Files.readString(dir.resolve("cluster.log")));
            b.kill();

            assertTrue(search.waitFor(3, TimeUnit.MINUTES), "the cluster search took too long");
            String log = Files.readString(dir.resolve("cluster.log"));

            assertEquals(0, search.exitValue(), log);
            assertTrue(log.contains("worker " + b.address() + " left the cluster"), log);
            assertTrue(local.waitFor(3, TimeUnit.MINUTES) && local.exitValue() == 0, Files.readString(dir.resolve("local.log")));

            List<Trial> got = RunStore.open(dir.resolve("cluster-results").resolve("cluster")).readTrials().trials();
            List<Trial> want = RunStore.open(dir.resolve("local-results").resolve("local")).readTrials().trials();
            var ids = new HashSet<String>();
            var keys = new HashSet<String>();
            for (Trial t : got) {
                assertTrue(ids.add(t.id()), "duplicate trial id " + t.id());
                assertTrue(keys.add(t.plan().key() + "@" + t.fidelity()), "plan recorded twice: " + t.id());
            }
            assertEquals(summary(want), summary(got), "the cluster run's trials must be the local run's, none lost, none repeated");
            assertEquals(front("local-results", "local"), front("cluster-results", "cluster"));
            var workers = new HashSet<String>();
            got.forEach(t -> workers.add(t.worker()));
            assertEquals(java.util.Set.of(a.address(), b.address()), workers, "every trial names the worker that measured it");

            // another search of the same job, with no local cache (a fresh results folder): every result comes from the
            // cluster's results map, as for a search resumed after its coordinator was killed
            int measuredByA = evaluations(a.log());
            var again = new ArrayList<>(SearchProcess.job(dir.resolve("again-results"), "again", 1));
            again.remove("--quiet");
            again.addAll(List.of("--cluster", a.address(), "--cluster-name", name));
            var pb2 = new ProcessBuilder(again).redirectErrorStream(true).redirectOutput(dir.resolve("again.log").toFile());
            pb2.environment().putAll(env);
            Process second = pb2.start();
            assertTrue(second.waitFor(3, TimeUnit.MINUTES), "the second search took too long");
            String againLog = Files.readString(dir.resolve("again.log"));
            assertEquals(0, second.exitValue(), againLog);
            assertEquals(measuredByA, evaluations(a.log()), "nothing is measured twice:\n" + againLog);
            assertEquals(front("local-results", "local"), front("again-results", "again"));
            System.out.printf("ClusterSearchTest: %d trials; %s in the search's log; %.1f s%n", got.size(),
                    log.contains("goes to another worker") ? "a plan under way on the killed worker re-ran elsewhere" : "no plan was under way on the killed worker",
                    (System.nanoTime() - started) / 1e9);
        } finally {
            local.destroyForcibly();
        }
    }

    /** What must match between two runs of one job: everything but timing and placement. */
    private static List<String> summary(List<Trial> trials) {
        return trials.stream().map(t -> t.id() + " g" + t.generation() + " " + t.fidelity() + " " + t.plan().key() + " "
                + new java.util.TreeMap<>(t.values())).toList();
    }

    private JsonNode front(String results, String run) throws Exception {
        return Json.json().readTree(dir.resolve(results).resolve(run).resolve("front.json").toFile()).get("front");
    }

    private static int evaluations(String workerLog) {
        return (int) workerLog.lines().filter(l -> l.contains(" accuracy ")).count();
    }

    private static int lines(Path file) throws Exception {
        if (!Files.exists(file)) return 0;
        try (var s = Files.lines(file)) {
            return (int) s.filter(l -> !l.isBlank()).count();
        }
    }
}
