package dev.squeeze.evaluators;

import dev.squeeze.StopRequest;
import dev.squeeze.onnx.Ort;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Objective;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Evaluates a batch of plans on local worker threads, one accuracy proxy (one network copy) per worker,
 * and adds each plan's predicted costs. Results come back in the batch's order whatever finishes first,
 * so the search stays deterministic.
 *
 * <p>A batch returns or throws only once none of its plans is still running, so no worker is inside ND4J or ONNX
 * Runtime when the caller moves on (or the JVM exits and tears their native state down). Once {@code stop} is
 * requested, plans not yet started are skipped, plans running finish, and the batch throws
 * {@link StopRequest.Stopped}; its results are abandoned (the search records a batch as a whole).
 * Workers have the stack ONNX Runtime needs ({@link Ort#threads}).
 */
public final class ParallelEvaluator implements Rung {
    private final BlockingQueue<AccuracyProxy> proxies;
    private final Function<CompressionPlan, Map<String, Double>> costs;
    private final ExecutorService pool;
    private final EvaluatedBy evaluatedBy;
    private final StopRequest stop;
    private final java.util.concurrent.atomic.LongAdder evaluatingNanos = new java.util.concurrent.atomic.LongAdder(); // batches may come from several threads (a cluster worker's)

    /**
     * @param workers number of threads (and network copies)
     * @param proxy   makes one accuracy proxy per worker
     * @param costs       the plan's cost objectives ({@code latency_ms}, ...), cheap and thread-safe
     * @param evaluatedBy the evaluator and rung every evaluation names as its maker (its rung is what {@link #describe} says)
     * @param stop        ends batches early (see above)
     */
    public ParallelEvaluator(int workers, Supplier<AccuracyProxy> proxy, Function<CompressionPlan, Map<String, Double>> costs,
                             EvaluatedBy evaluatedBy, StopRequest stop) {
        this.proxies = new ArrayBlockingQueue<>(workers);
        for (int i = 0; i < workers; i++) proxies.add(proxy.get());
        this.costs = costs;
        this.evaluatedBy = java.util.Objects.requireNonNull(evaluatedBy, "evaluatedBy");
        this.stop = stop;
        this.pool = Executors.newFixedThreadPool(workers, Ort.threads("squeeze-eval", true));
    }

    @Override
    public List<Evaluation> evaluate(List<CompressionPlan> plans) {
        long start = System.nanoTime();
        try {
            return evaluateAll(plans);
        } finally {
            evaluatingNanos.add(System.nanoTime() - start);
        }
    }

    /** Wall time spent inside {@link #evaluate} so far (what the overhead figure is measured against). */
    @Override
    public double evaluatingSeconds() {
        return evaluatingNanos.sum() / 1e9;
    }

    private List<Evaluation> evaluateAll(List<CompressionPlan> plans) {
        stop.throwIfRequested();
        var futures = new ArrayList<Future<Evaluation>>();
        for (CompressionPlan p : plans) futures.add(pool.submit(() -> one(p)));
        var out = new ArrayList<Evaluation>();
        RuntimeException failure = null;
        boolean interrupted = false;
        for (Future<Evaluation> f : futures) { // every future, even after a failure: the batch ends when its workers are idle
            while (true) {
                try {
                    out.add(f.get());
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: returning now would leave workers running on
                } catch (ExecutionException e) {
                    if (failure == null || failure instanceof StopRequest.Stopped) {
                        failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                    }
                    break;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (failure != null) throw failure;
        return out;
    }

    private Evaluation one(CompressionPlan plan) throws InterruptedException {
        stop.throwIfRequested();
        long start = System.nanoTime();
        AccuracyProxy proxy = proxies.take();
        try {
            var values = new LinkedHashMap<>(costs.apply(plan));
            values.put(proxy.metric().key(), proxy.quality(plan));
            return new Evaluation(values, proxy.fidelity(), (System.nanoTime() - start) / 1e9, evaluatedBy);
        } finally {
            proxies.add(proxy);
            dev.squeeze.model.NativeMemory.checkpoint();
        }
    }

    @Override
    public String describe() {
        return evaluatedBy.rung();
    }

    /** Stops the workers, waiting for any still running (batches already wait for theirs, so this is immediate). */
    @Override
    public void close() {
        pool.shutdownNow();
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.MINUTES)) break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
