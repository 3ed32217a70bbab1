package dev.squeeze.evaluators.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.map.IMap;
import dev.squeeze.Json;
import dev.squeeze.SqueezeException;
import dev.squeeze.StopRequest;
import dev.squeeze.data.Images;
import dev.squeeze.evaluators.AccuracyRungs;
import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.EvaluatorSpec;
import dev.squeeze.evaluators.Rung;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.FrontReport;
import dev.squeeze.results.Objective;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A squeeze worker: a Hazelcast member that measures the plans searches send it. It loads a workload (model, images,
 * evaluator) on the first plan that names it, fetching what it lacks from that search, and keeps the loaded state for
 * the plans that follow ({@value #KEPT_WORKLOADS} workloads at most). A plan already in the cluster's results map is
 * answered from there, so nothing is measured twice; a new result goes into the map before it is returned, so it
 * survives the search that asked. It measures exactly as a local search does ({@link AccuracyRungs#LOCAL}, with its
 * own {@code threads}), and logs one line per evaluation.
 */
public final class Worker implements AutoCloseable {
    /** The worker's key in its member's user context, where {@link EvaluatePlan} finds it. */
    static final String CONTEXT = "squeeze.worker";
    static final int KEPT_WORKLOADS = 2;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /**
     * @param name    the cluster's name (the same on every worker and the search)
     * @param bind    the interface to listen on, with or without a port
     * @param join    members to join through (none for the first worker)
     * @param threads plans measured at once, one network copy each
     * @param store   folder for the blobs fetched from searches
     * @param secret  the shared secret; required on a non-loopback interface
     */
    public record Settings(String name, Endpoint bind, List<Endpoint> join, int threads, Path store, Optional<ClusterSecret> secret) {
        public Settings {
            join = List.copyOf(join);
            if (threads < 1) throw new SqueezeException("--threads must be at least 1, got " + threads);
        }
    }

    private final HazelcastInstance hz;
    private final String address;
    private final int threads;
    private final Versions versions;
    private final BlobStore blobs;
    private final Path store;
    private final IMap<String, Evaluated> results;
    private final IExecutorService fetch;
    private final Consumer<String> log;
    private final StopRequest leaving = new StopRequest();
    private final AtomicInteger running = new AtomicInteger();
    private final Map<String, CompletableFuture<AccuracyRungs.Opened>> loaded = new LinkedHashMap<>(4, 0.75f, true); // least recently used first
    private final Map<String, Integer> users = new java.util.HashMap<>();

    private Worker(HazelcastInstance hz, Settings s, Versions versions, Consumer<String> log) {
        this.hz = hz;
        this.address = Members.address(hz.getCluster().getLocalMember());
        this.threads = s.threads();
        this.versions = versions;
        this.store = s.store();
        this.blobs = new BlobStore(s.store().resolve("blobs"));
        this.results = hz.getMap(Members.RESULTS);
        this.fetch = hz.getExecutorService(Members.FETCH);
        this.log = line -> log.accept(LocalTime.now().format(CLOCK) + " " + line);
    }

    /**
     * Runs a worker until {@code stop} is requested, then leaves the cluster cleanly: plans not started are handed back
     * (the search sends them elsewhere), plans under way finish, and the member's share of the results map moves to
     * the others before it goes.
     */
    public static void run(Settings s, StopRequest stop, Consumer<String> log) {
        try (Worker w = start(s, Versions.current(), log)) {
            while (!stop.requested() && w.hz.getLifecycleService().isRunning()) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            w.log.accept("stopping on " + stop.reason().orElse("the cluster member's shutdown")
                    + ": finishing the plans under way, then leaving the cluster (another SIGINT or SIGTERM stops at once)");
        }
    }

    /** Starts a worker (tests give other {@code versions} to play a member of another release). */
    static Worker start(Settings s, Versions versions, Consumer<String> log) {
        Members.checkBind(s.bind(), s.secret(), "--bind"); // before ND4J starts: a refused worker refuses at once
        dev.squeeze.model.Backend.init();
        // a worker's parallelism is across plans (--threads, or several workers on one machine), never inside one: ND4J's own
        // threads would spin against the other evaluations (Backend.oneThreadPerCandidate)
        dev.squeeze.model.Backend.oneThreadPerCandidate();
        HazelcastInstance hz = Members.start(new Members.Settings(Members.Role.WORKER, s.name(), s.secret(), s.bind(), s.join(), s.threads(), versions), Map.of());
        Worker w = new Worker(hz, s, versions, log);
        hz.getUserContext().put(CONTEXT, w); // a plan that came before this is handed back (EvaluatePlan)
        hz.getCluster().addMembershipListener(w.new Events());
        w.log.accept(String.format("squeeze worker %s in cluster '%s' (%s), %d thread%s, store %s; %s; %d member%s", w.address, s.name(),
                s.secret().isPresent() ? "shared secret" : "no secret: loopback only", s.threads(), s.threads() == 1 ? "" : "s", s.store(),
                versions, hz.getCluster().getMembers().size(), hz.getCluster().getMembers().size() == 1 ? "" : "s"));
        return w;
    }

    /** {@code $XDG_CACHE_HOME/squeeze/worker}, else {@code ~/.cache/squeeze/worker}. */
    public static Path defaultStore() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return cache.resolve("squeeze").resolve("worker");
    }

    /** This worker's address, {@code host:port}. */
    public String address() {
        return address;
    }

    Endpoint endpointForTests() {
        return Endpoint.parse(address, "worker");
    }

    int clusterSizeForTests() {
        return hz.getCluster().getMembers().size();
    }

    /** Measures one plan for a search (see the class comment); never throws. */
    TaskResult evaluate(Workload workload, String planJson, String fidelityKey, String submitter) {
        if (!workload.versions().equals(versions)) {
            return TaskResult.failed("worker " + address + " runs " + versions + " and the search " + workload.versions());
        }
        running.incrementAndGet();
        try {
            if (leaving.requested()) return TaskResult.elsewhere("worker " + address + " is leaving the cluster");
            CompressionPlan plan = Json.json().readValue(planJson, CompressionPlan.class);
            Fidelity fidelity = Fidelity.of(fidelityKey);
            String key = workload.resultKey(plan, fidelity);
            Evaluated known = results.get(key);
            if (known != null) return TaskResult.done(known);
            Member from = hz.getCluster().getMembers().stream().filter(m -> m.getUuid().toString().equals(submitter)).findFirst()
                    .orElseThrow(() -> new SqueezeException("the search that sent the plan has left the cluster"));
            AccuracyRungs.Opened opened = acquire(workload, from);
            try {
                Rung rung = fidelity == Fidelity.RECOVERED ? opened.recovered() : opened.measured();
                if (rung == null) return TaskResult.failed("the workload's evaluator has no " + fidelity + " rung");
                Evaluation e = rung.evaluate(List.of(plan)).get(0);
                var r = new Evaluated(e.values().get(workload.qualityObjective().key()), e.fidelity().key(), e.seconds(), address);
                results.set(key, r);
                log.accept(String.format("%-9s %s %.4f  %5.2f s  for %s  %s", r.fidelity(), workload.quality(), r.quality(), r.seconds(),
                        Members.address(from), FrontReport.compact(plan)));
                return TaskResult.done(r);
            } finally {
                release(workload);
            }
        } catch (StopRequest.Stopped s) {
            return TaskResult.elsewhere("worker " + address + " is leaving the cluster");
        } catch (IOException | RuntimeException e) {
            String why = e instanceof SqueezeException ? e.getMessage() : Members.oneLine(e);
            log.accept("cannot evaluate a plan: " + why);
            return TaskResult.failed("worker " + address + ": " + why);
        } finally {
            running.decrementAndGet();
        }
    }

    private AccuracyRungs.Opened acquire(Workload w, Member from) {
        CompletableFuture<AccuracyRungs.Opened> f;
        boolean mine = false;
        synchronized (this) {
            f = loaded.get(w.id());
            if (f == null) {
                f = new CompletableFuture<>();
                loaded.put(w.id(), f);
                mine = true;
            }
            users.merge(w.id(), 1, Integer::sum);
        }
        if (mine) {
            try {
                f.complete(load(w, from));
            } catch (RuntimeException e) {
                synchronized (this) {
                    loaded.remove(w.id());
                }
                f.completeExceptionally(e);
            }
            evictIdle();
        }
        try {
            return f.join();
        } catch (CompletionException e) {
            release(w);
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private synchronized void release(Workload w) {
        users.merge(w.id(), -1, Integer::sum);
    }

    /** Closes the least recently used workloads nobody is measuring with, down to {@value #KEPT_WORKLOADS}. */
    private void evictIdle() {
        var closing = new java.util.ArrayList<AccuracyRungs.Opened>();
        synchronized (this) {
            var it = loaded.entrySet().iterator();
            while (loaded.size() - closing.size() > KEPT_WORKLOADS && it.hasNext()) {
                var e = it.next();
                if (users.getOrDefault(e.getKey(), 0) == 0 && e.getValue().isDone() && !e.getValue().isCompletedExceptionally()) {
                    closing.add(e.getValue().join());
                    it.remove();
                    users.remove(e.getKey());
                }
            }
        }
        closing.forEach(Worker::close);
    }

    private AccuracyRungs.Opened load(Workload w, Member from) {
        long start = System.nanoTime();
        try {
            byte[] model = blobs.get(w.model(), "model " + w.modelName(), from, fetch, log);
            Path zip = store.resolve("models").resolve(w.model().substring(0, 16)).resolve(w.modelName() + ".zip");
            if (!Files.isRegularFile(zip)) {
                Files.createDirectories(zip.getParent());
                Path tmp = Files.createTempFile(zip.getParent(), "model", ".part");
                Files.write(tmp, model);
                Files.move(tmp, zip, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Images images = ImagesBlob.decode(blobs.get(w.images(), "calibration images", from, fetch, log));
            ModelHandle handle = ModelStore.load(zip.toString(), images::shape);
            EvaluatorSpec spec = Json.json().readValue(w.spec(), EvaluatorSpec.class);
            Images train = w.train() == null ? null : ImagesBlob.decode(blobs.get(w.train(), "training images", from, fetch, log));
            var opened = AccuracyRungs.LOCAL.open(new AccuracyRungs.Inputs(handle, spec, w.qualityObjective(), images, train, threads, plan -> Map.of(), leaving));
            log.accept(String.format("loaded workload %s: %s, %d calibration images%s, in %.1f s", w.id(), w.modelName(), images.count(),
                    train == null ? "" : ", recovered rung on " + train.count() + " training images", (System.nanoTime() - start) / 1e9));
            return opened;
        } catch (IOException e) {
            throw new SqueezeException("cannot load workload " + w.id() + " in " + store + ": " + e.getMessage());
        }
    }

    private static void close(AccuracyRungs.Opened o) {
        o.measured().close();
        if (o.recovered() != null) o.recovered().close();
    }

    /**
     * Leaves the cluster: new plans are handed back, plans under way finish (a recovery is abandoned within ten steps),
     * then the member shuts down gracefully, moving its share of the results map to the others.
     */
    @Override
    public void close() {
        leaving.request("worker leaving");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (running.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (hz.getLifecycleService().isRunning()) hz.shutdown();
        synchronized (this) {
            loaded.values().stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).map(CompletableFuture::join).forEach(Worker::close);
            loaded.clear();
        }
        log.accept("left the cluster");
    }

    /** One line per member that joins or leaves; a squeeze member of other versions is named and ignored. */
    private final class Events implements MembershipListener {
        @Override
        public void memberAdded(MembershipEvent e) {
            Member m = e.getMember();
            Versions theirs = Versions.of(m);
            if (!versions.equals(theirs)) {
                log.accept("ignoring member " + Members.address(m) + ": it runs " + (theirs == null ? "no squeeze" : theirs) + ", this worker " + versions);
                return;
            }
            log.accept((m.isLiteMember() ? "search " : "worker ") + Members.address(m) + " joined");
        }

        @Override
        public void memberRemoved(MembershipEvent e) {
            Member m = e.getMember();
            log.accept((m.isLiteMember() ? "search " : "worker ") + Members.address(m) + " left");
        }
    }
}
