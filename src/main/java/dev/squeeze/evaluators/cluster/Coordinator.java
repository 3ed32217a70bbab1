package dev.squeeze.evaluators.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.map.IMap;
import com.hazelcast.spi.exception.TargetDisconnectedException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import dev.squeeze.Json;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.StopRequest;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.FrontReport;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The search's side of the cluster: a lite member (it owns no share of the results map, so it may come and go) that
 * sends plans to the workers and offers them the files they need ({@link BlobShelf}).
 *
 * <p>A batch: plans whose result is already in the results map are taken from there; the rest go one task per plan to
 * the workers, each worker given at most as many at once as it has threads, the next plan going to whichever worker
 * finishes first (so faster workers do more, and a worker that joins mid-batch takes work at once). A task whose
 * worker leaves or dies before answering ({@link MemberLeftException}) goes to another worker, at most
 * {@value #MAX_ATTEMPTS} times per plan, then the batch fails with an error naming the plan. Results come back in the
 * batch's order, whoever measured them.
 */
public final class Coordinator implements AutoCloseable {
    static final int MAX_ATTEMPTS = 3;

    private final HazelcastInstance hz;
    private final ClusterSpec spec;
    private final Versions versions;
    private final BlobShelf shelf;
    private final IExecutorService evaluate;
    private final IMap<String, Evaluated> results;
    private final Progress progress;
    private final StopRequest stop;
    private final Duration waitForWorkers;
    private final Stats stats = new Stats();
    private volatile int workerLimit = Integer.MAX_VALUE;

    private Coordinator(HazelcastInstance hz, ClusterSpec spec, Versions versions, BlobShelf shelf, Progress progress, StopRequest stop,
                        Duration waitForWorkers) {
        this.hz = hz;
        this.spec = spec;
        this.versions = versions;
        this.shelf = shelf;
        this.evaluate = hz.getExecutorService(Members.EVALUATE);
        this.results = hz.getMap(Members.RESULTS);
        this.progress = progress;
        this.stop = stop;
        this.waitForWorkers = waitForWorkers;
    }

    /**
     * Joins the cluster as a lite member bound to the local address that routes to the first of {@code spec}'s members,
     * and waits up to {@code waitForWorkers} for a worker.
     */
    public static Coordinator connect(ClusterSpec spec, Optional<ClusterSecret> secret, Versions versions, Duration waitForWorkers,
                               Progress progress, StopRequest stop) {
        var shelf = new BlobShelf();
        Endpoint bind = new Endpoint(routeTo(spec.members().get(0)), OptionalInt.empty());
        HazelcastInstance hz = Members.start(new Members.Settings(Members.Role.SEARCH, spec.name(), secret, bind, spec.members(), 0, versions),
                Map.of(BlobShelf.CONTEXT, shelf));
        var c = new Coordinator(hz, spec, versions, shelf, progress, stop, waitForWorkers);
        try {
            hz.getCluster().addMembershipListener(c.new Events());
            c.awaitWorker();
            progress.log(String.format("cluster '%s' via %s: this search is %s; workers: %s", spec.name(), spec.membersText(),
                    Members.address(hz.getCluster().getLocalMember()), c.describeWorkers()));
            return c;
        } catch (RuntimeException e) {
            hz.shutdown();
            throw e;
        }
    }

    /** The local address the operating system would use to reach {@code member} (no packet is sent). */
    static String routeTo(Endpoint member) {
        InetAddress target = member.address("--cluster");
        if (target.isLoopbackAddress()) return target.getHostAddress();
        try (DatagramSocket s = new DatagramSocket()) {
            s.connect(new InetSocketAddress(target, member.portOrFirst()));
            InetAddress local = s.getLocalAddress();
            if (local == null || local.isAnyLocalAddress()) throw new SocketException("no route");
            return local.getHostAddress();
        } catch (SocketException e) {
            throw new SqueezeException("--cluster " + member + ": this machine has no route to " + member.host() + " (" + e.getMessage() + ")");
        }
    }

    BlobShelf shelf() {
        return shelf;
    }

    Versions versions() {
        return versions;
    }

    public Stats stats() {
        return stats;
    }

    /** The search's member (tests send it other tasks). */
    HazelcastInstance member() {
        return hz;
    }

    /** Forgets every result in the cluster (the benchmark measures the same plans more than once). */
    public void clearResults() {
        results.clear();
    }

    /** The workers this search may send plans to, in address order. */
    public List<Member> workers() {
        return hz.getCluster().getMembers().stream().filter(m -> Members.isWorker(m, versions))
                .sorted(Comparator.comparing(Members::address)).limit(workerLimit).toList();
    }

    /** Sends plans to the first {@code n} workers only (the benchmark compares 1 and 2 workers of one cluster, interleaved). */
    public void limitWorkers(int n) {
        workerLimit = n;
    }

    private String describeWorkers() {
        var ws = workers();
        if (ws.isEmpty()) return "none";
        return String.join(", ", ws.stream().map(m -> Members.address(m) + " (" + Members.threads(m) + " thread" + (Members.threads(m) == 1 ? "" : "s") + ")").toList());
    }

    private void awaitWorker() {
        long deadline = System.nanoTime() + waitForWorkers.toNanos();
        boolean said = false;
        while (workers().isEmpty()) {
            stop.throwIfRequested();
            if (System.nanoTime() > deadline) {
                throw new SqueezeException(String.format("no squeeze worker in cluster '%s' (joined through %s) for %d s: start one there "
                                + "(squeeze worker --cluster-name %s --bind HOST[:PORT] --join ...) with the same %s as this search (a member with "
                                + "another cluster name or secret is turned away at join), or run on this machine with --cluster %s",
                        spec.name(), spec.membersText(), waitForWorkers.toSeconds(), spec.name(), ClusterSecret.ENV, ClusterSpec.LOCAL));
            }
            if (!said) {
                progress.log("waiting for a squeeze worker in cluster '" + spec.name() + "' (through " + spec.membersText() + ") ...");
                said = true;
            }
            sleep(200);
        }
    }

    /** One evaluated (or failed) task. */
    private record Done(int index, Member member, long sentNanos, TaskResult result, Throwable error) {}

    /** The plans' results at {@code fidelity}, in the batch's order (see the class comment). */
    List<Evaluated> evaluate(Workload workload, List<CompressionPlan> plans, Fidelity fidelity) {
        stop.throwIfRequested();
        int n = plans.size();
        var out = new Evaluated[n];
        var keys = new String[n];
        for (int i = 0; i < n; i++) keys[i] = workload.resultKey(plans.get(i), fidelity);
        Map<String, Evaluated> known = n == 0 ? Map.of() : results.getAll(new LinkedHashSet<>(List.of(keys)));
        var todo = new ArrayDeque<Integer>();
        int fromMap = 0;
        for (int i = 0; i < n; i++) {
            out[i] = known.get(keys[i]);
            if (out[i] == null) todo.add(i);
            else fromMap++;
        }
        var attempts = new int[n];
        var done = new LinkedBlockingQueue<Done>();
        var busy = new HashMap<UUID, Integer>();
        var handedBack = new HashSet<UUID>(); // workers that said they are leaving or still starting: not asked again in this batch
        var perWorker = new LinkedHashMap<String, Integer>();
        String submitter = hz.getCluster().getLocalMember().getUuid().toString();
        int inFlight = 0;
        long idleSince = -1;
        while (!todo.isEmpty() || inFlight > 0) {
            stop.throwIfRequested(); // tasks under way finish on their workers, and their results stay in the map for a resume
            for (Member m : workers()) {
                if (handedBack.contains(m.getUuid())) continue;
                while (!todo.isEmpty() && busy.getOrDefault(m.getUuid(), 0) < Members.threads(m)) {
                    int i = todo.poll();
                    send(new EvaluatePlan(workload, Json.line(plans.get(i)), fidelity, submitter), i, m, done);
                    busy.merge(m.getUuid(), 1, Integer::sum);
                    inFlight++;
                }
            }
            if (inFlight == 0) {
                if (idleSince < 0) {
                    idleSince = System.nanoTime();
                    progress.log("no squeeze worker is free in cluster '" + spec.name() + "': waiting up to " + waitForWorkers.toSeconds() + " s for one");
                    handedBack.clear();
                } else if (System.nanoTime() - idleSince > waitForWorkers.toNanos()) {
                    throw new SqueezeException(String.format("no squeeze worker in cluster '%s' for %d s with %d plans still to measure: start one "
                            + "(squeeze worker --join %s), or resume on this machine with --cluster %s", spec.name(), waitForWorkers.toSeconds(),
                            todo.size(), spec.membersText(), ClusterSpec.LOCAL));
                }
                sleep(200);
                continue;
            }
            idleSince = -1;
            Done d = poll(done);
            if (d == null) continue;
            inFlight--;
            busy.merge(d.member().getUuid(), -1, Integer::sum);
            CompressionPlan plan = plans.get(d.index());
            if (d.error() != null) {
                if (!memberGone(d.error())) {
                    throw new SqueezeException("the cluster could not run plan " + FrontReport.compact(plan) + " on " + Members.address(d.member())
                            + ": " + Members.oneLine(d.error()));
                }
                if (++attempts[d.index()] >= MAX_ATTEMPTS) {
                    throw new SqueezeException(String.format("plan %s was sent to %d workers and each left the cluster before it finished "
                                    + "(the last, %s: %s); look at those workers' logs (a crash, or killed for lack of memory?)", FrontReport.compact(plan),
                            MAX_ATTEMPTS, Members.address(d.member()), Members.oneLine(d.error())));
                }
                progress.log(String.format("worker %s left with a plan under way; it goes to another worker (attempt %d of %d): %s",
                        Members.address(d.member()), attempts[d.index()] + 1, MAX_ATTEMPTS, FrontReport.compact(plan)));
                todo.addFirst(d.index());
            } else if (d.result().evaluated() != null) {
                out[d.index()] = d.result().evaluated();
                perWorker.merge(d.result().evaluated().worker(), 1, Integer::sum);
                stats.record(d.result().evaluated(), (System.nanoTime() - d.sentNanos()) / 1e9);
            } else if (d.result().retry()) {
                handedBack.add(d.member().getUuid());
                todo.addFirst(d.index());
            } else {
                throw new SqueezeException("plan " + FrontReport.compact(plan) + " could not be measured: " + d.result().failure());
            }
        }
        if (n > 0) {
            var where = new ArrayList<String>();
            perWorker.forEach((w, k) -> where.add(w + " " + k));
            if (fromMap > 0) where.add("cluster results map " + fromMap);
            progress.log(String.format("  %s rung: %d plan%s, %s", fidelity, n, n == 1 ? "" : "s", String.join(", ", where)));
        }
        return List.of(out);
    }

    private void send(EvaluatePlan task, int index, Member m, BlockingQueue<Done> done) {
        long sent = System.nanoTime();
        try {
            evaluate.submitToMember(task, m, new com.hazelcast.core.ExecutionCallback<TaskResult>() {
                @Override
                public void onResponse(TaskResult r) {
                    done.add(new Done(index, m, sent, r, null));
                }

                @Override
                public void onFailure(Throwable e) {
                    done.add(new Done(index, m, sent, null, unwrap(e)));
                }
            });
        } catch (RejectedExecutionException | TargetNotMemberException e) {
            done.add(new Done(index, m, sent, null, e));
        }
    }

    /**
     * Failures that mean the worker went away, not that the plan cannot be measured (our own member stopping,
     * {@link com.hazelcast.core.HazelcastInstanceNotActiveException}, is neither: it fails the batch).
     */
    static boolean memberGone(Throwable e) {
        return e instanceof MemberLeftException || e instanceof TargetNotMemberException || e instanceof TargetDisconnectedException
                || e instanceof RejectedExecutionException;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    private Done poll(BlockingQueue<Done> done) {
        try {
            return done.poll(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StopRequest.Stopped("interrupt");
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StopRequest.Stopped("interrupt");
        }
    }

    @Override
    public void close() {
        if (hz.getLifecycleService().isRunning()) hz.shutdown();
    }

    /** Round trips and worker-side seconds of the evaluations this search received, for the overhead figure. */
    public static final class Stats {
        private final LongAdder count = new LongAdder();
        private final java.util.concurrent.atomic.DoubleAdder roundTrip = new java.util.concurrent.atomic.DoubleAdder();
        private final java.util.concurrent.atomic.DoubleAdder worker = new java.util.concurrent.atomic.DoubleAdder();

        void record(Evaluated e, double roundTripSeconds) {
            count.increment();
            roundTrip.add(roundTripSeconds);
            worker.add(e.seconds());
        }

        public long count() {
            return count.sum();
        }

        /** Mean seconds per evaluation between sending a plan and having its result, minus the worker's own measuring time. */
        public double overheadSeconds() {
            return count.sum() == 0 ? 0 : (roundTrip.sum() - worker.sum()) / count.sum();
        }
    }

    /** One line when a squeeze worker joins or leaves. */
    private final class Events implements MembershipListener {
        @Override
        public void memberAdded(MembershipEvent e) {
            Member m = e.getMember();
            if (Members.isWorker(m, versions)) {
                progress.log("worker " + Members.address(m) + " joined (" + Members.threads(m) + " thread" + (Members.threads(m) == 1 ? "" : "s") + ")");
            } else if (!m.isLiteMember()) {
                Versions theirs = Versions.of(m);
                progress.log("ignoring member " + Members.address(m) + ": it runs " + (theirs == null ? "no squeeze" : theirs) + ", this search " + versions);
            }
        }

        @Override
        public void memberRemoved(MembershipEvent e) {
            Member m = e.getMember();
            if (Members.isWorker(m, versions)) progress.log("worker " + Members.address(m) + " left the cluster");
        }
    }
}
