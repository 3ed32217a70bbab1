package dev.squeeze.evaluators.cluster;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.cli.Main;
import dev.squeeze.results.Fidelity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Who gets into a squeeze cluster: against one running worker (loopback, a secret), a member without the secret, with
 * another secret, or with another cluster name is turned away at join; one of another squeeze version refuses to work with
 * it; a Hazelcast client cannot connect at all; and only the right name and secret get in. A worker refuses, before it
 * opens a socket, a non-loopback address without a secret, a wildcard address, and a short secret.
 */
class ClusterAdmissionTest {
    private static final String NAME = "admission-" + ProcessHandle.current().pid();
    private static final ClusterSecret SECRET = ClusterSecret.of("the-right-secret-0123456789");
    private static final Duration SHORT_WAIT = Duration.ofSeconds(3);

    @TempDir
    static Path dir;
    private static Worker worker;

    @BeforeAll
    static void startWorker() {
        worker = Worker.start(new Worker.Settings(NAME, new Endpoint("127.0.0.1", OptionalInt.empty()), List.of(), 1, dir.resolve("store"),
                Optional.of(SECRET)), Versions.current(), line -> { });
    }

    /** Members an earlier test let in leave asynchronously: each test starts with the worker alone. */
    @BeforeEach
    void workerAlone() throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (worker.clusterSizeForTests() > 1 && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(1, worker.clusterSizeForTests(), "a member of an earlier test is still in the cluster");
    }

    @AfterAll
    static void stopWorker() {
        if (worker != null) worker.close();
    }

    @Test
    void theRightNameAndSecretGetIn() {
        try (Coordinator c = connect(NAME, Optional.of(SECRET), Versions.current())) {
            assertEquals(List.of(worker.address()), c.workers().stream().map(Members::address).toList());
        }
    }

    @Test
    void aMemberWithoutTheSecretIsTurnedAway() {
        assertTurnedAway(NAME, Optional.empty());
    }

    @Test
    void aMemberWithAnotherSecretIsTurnedAway() {
        assertTurnedAway(NAME, Optional.of(ClusterSecret.of("another-secret-0123456789")));
    }

    @Test
    void aMemberWithAnotherClusterNameIsTurnedAway() {
        assertTurnedAway(NAME + "-other", Optional.of(SECRET));
    }

    @Test
    void aMemberOfAnotherSqueezeVersionRefusesToWorkWithTheCluster() {
        var older = new Versions("0.0.1-older", Versions.current().rungs());
        var e = assertThrows(SqueezeException.class, () -> connect(NAME, Optional.of(SECRET), older).close());
        assertTrue(e.getMessage().contains(worker.address() + " runs " + Versions.current()), e.getMessage());
        var otherRungs = new Versions(Versions.current().squeeze(), Versions.current().rungs() + 1);
        var w = assertThrows(SqueezeException.class, () -> Worker.start(new Worker.Settings(NAME, new Endpoint("127.0.0.1", OptionalInt.empty()),
                List.of(worker.endpointForTests()), 1, dir.resolve("store-other"), Optional.of(SECRET)), otherRungs, line -> { }).close());
        assertTrue(w.getMessage().contains("rungs version " + Versions.current().rungs()), w.getMessage());
    }

    @Test
    void aMemberThatGotInCannotHaveAWorkerDeserialiseAnythingButSqueezesMessages() throws Exception {
        try (Coordinator c = connect(NAME, Optional.of(SECRET), Versions.current())) {
            var executor = c.member().getExecutorService(Members.EVALUATE);
            var target = c.workers().get(0);
            // a serialisable lambda travels as java.lang.invoke.SerializedLambda, outside the worker's whitelist
            java.util.concurrent.Callable<String> foreign = (java.util.concurrent.Callable<String> & java.io.Serializable) () -> "ran";
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> executor.submitToMember(foreign, target).get());
            assertTrue(String.valueOf(e.getCause()).contains("SerializedLambda"), String.valueOf(e.getCause()));
            // squeeze's own task is accepted (it answers that the workload's blobs are not on offer)
            var plan = dev.squeeze.Json.line(dev.squeeze.model.CompressionPlan.none());
            var own = new EvaluatePlan(new Workload("0".repeat(64), "m", "{}", "accuracy", "1".repeat(64), null, Versions.current()), plan, Fidelity.MEASURED,
                    c.member().getCluster().getLocalMember().getUuid().toString());
            TaskResult r = executor.submitToMember(own, target).get();
            assertTrue(r.failure() != null && r.failure().contains("no longer offers"), String.valueOf(r));
        }
    }

    @Test
    void aHazelcastClientCannotConnectEvenWithTheClusterName() {
        var config = new ClientConfig().setClusterName(ClusterSecret.clusterName(NAME, Optional.of(SECRET)));
        config.getNetworkConfig().addAddress(worker.address());
        config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3000);
        config.setProperty("hazelcast.logging.type", "none");
        assertThrows(IllegalStateException.class, () -> HazelcastClient.newHazelcastClient(config).shutdown());
    }

    @Test
    void aWorkerRefusesANonLoopbackAddressWithoutASecret() {
        assumeTrue(System.getenv(ClusterSecret.ENV) == null, "the environment gives a secret");
        var err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "worker", "--bind", "192.0.2.10", "--store", dir.resolve("x").toString());
        assertEquals(2, code, err.toString());
        assertTrue(err.toString().contains("192.0.2.10 is not a loopback address") && err.toString().contains(ClusterSecret.ENV), err.toString());

        var noSecret = assertThrows(SqueezeException.class, () -> Members.checkBind(Endpoint.parse("192.0.2.10:5701", "--bind"), Optional.empty(), "--bind"));
        assertTrue(noSecret.getMessage().contains(ClusterSecret.ENV));
        Members.checkBind(Endpoint.parse("192.0.2.10:5701", "--bind"), Optional.of(SECRET), "--bind"); // with a secret it may
        var wildcard = assertThrows(SqueezeException.class, () -> Members.checkBind(Endpoint.parse("0.0.0.0", "--bind"), Optional.of(SECRET), "--bind"));
        assertTrue(wildcard.getMessage().contains("every interface"));
        var shortSecret = assertThrows(SqueezeException.class, () -> ClusterSecret.of("hunter2"));
        assertTrue(shortSecret.getMessage().contains("at least " + ClusterSecret.MIN_LENGTH));
    }

    private void assertTurnedAway(String name, Optional<ClusterSecret> secret) {
        var e = assertThrows(SqueezeException.class, () -> connect(name, secret, Versions.current()).close());
        assertTrue(e.getMessage().startsWith("no squeeze worker in cluster '" + name + "'"), e.getMessage());
        assertEquals(1, worker.clusterSizeForTests(), "the worker's cluster must not have grown");
    }

    private static Coordinator connect(String name, Optional<ClusterSecret> secret, Versions versions) {
        return Coordinator.connect(new ClusterSpec(name, List.of(Endpoint.parse(worker.address(), "test"))), secret, versions, SHORT_WAIT,
                Progress.NONE, new dev.squeeze.StopRequest());
    }
}
