package dev.squeeze.evaluators.cluster;

import dev.squeeze.Json;
import dev.squeeze.Progress;
import dev.squeeze.StopRequest;
import dev.squeeze.evaluators.AccuracyRungs;
import dev.squeeze.model.ModelStore;
import dev.squeeze.results.Fidelity;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The measured and recovered rungs on a cluster of squeeze workers: opening them joins the cluster (as a lite member)
 * and offers the workers the workload's model and images; closing both leaves it.
 */
public final class ClusterRungs implements AccuracyRungs {
    /** How long a search waits for a worker, at the start and whenever none is left. */
    public static final Duration WAIT_FOR_WORKERS = Duration.ofSeconds(60);

    private final ClusterSpec spec;
    private final Optional<ClusterSecret> secret;
    private final Versions versions;
    private final Duration waitForWorkers;
    private final Progress progress;
    private final StopRequest stop;

    private ClusterRungs(ClusterSpec spec, Optional<ClusterSecret> secret, Versions versions, Duration waitForWorkers, Progress progress,
                         StopRequest stop) {
        if (spec.isLocal()) throw new IllegalArgumentException("a cluster needs members to join through");
        this.spec = spec;
        this.secret = secret;
        this.versions = versions;
        this.waitForWorkers = waitForWorkers;
        this.progress = progress;
        this.stop = stop;
    }

    /** The rungs on the workers of {@code spec}, joined with {@code secret} (see {@link ClusterSecret}). */
    public static ClusterRungs of(ClusterSpec spec, Optional<ClusterSecret> secret, Progress progress, StopRequest stop) {
        return new ClusterRungs(spec, secret, Versions.current(), WAIT_FOR_WORKERS, progress, stop);
    }

    /** As {@link #of}, with other versions and another wait (tests play members of other releases and want short waits). */
    static ClusterRungs of(ClusterSpec spec, Optional<ClusterSecret> secret, Versions versions, Duration waitForWorkers, Progress progress) {
        return new ClusterRungs(spec, secret, versions, waitForWorkers, progress, new StopRequest());
    }

    @Override
    public Opened open(Inputs in) {
        Coordinator c = Coordinator.connect(spec, secret, versions, waitForWorkers, progress, stop);
        return open(c, in);
    }

    /** Both rungs over one coordinator, which leaves the cluster when both are closed. */
    public static Opened open(Coordinator c, Inputs in) {
        BlobShelf shelf = c.shelf();
        String train = in.trainImages() == null ? null : shelf.offer(ImagesBlob.encode(in.trainImages()));
        var workload = new Workload(shelf.offer(ModelStore.bytes(in.model())), in.model().name(), Json.line(in.spec()), in.quality().key(),
                shelf.offer(ImagesBlob.encode(in.measuredImages())), train, c.versions());
        boolean recovered = train != null && in.spec().recovery() != null;
        var open = new AtomicInteger(recovered ? 2 : 1);
        Runnable closeOne = () -> {
            if (open.decrementAndGet() == 0) c.close();
        };
        String measuredHow = dev.squeeze.evaluators.AccuracyRungs.measuredHow(in) + ", on the cluster";
        var measured = new ClusterRung(c, workload, Fidelity.MEASURED, in.costs(), in.spec().evaluatedBy(measuredHow), closeOne);
        if (!recovered) return new Opened(measured, null);
        var r = in.spec().recovery();
        return new Opened(measured, new ClusterRung(c, workload, Fidelity.RECOVERED, in.costs(),
                in.spec().evaluatedBy("recovered: " + r.steps() + " distillation steps of " + r.batch() + ", then " + measuredHow), closeOne));
    }
}
