package dev.squeeze.evaluators;

import dev.squeeze.export.Ort;
import dev.squeeze.model.CompressionPlan;

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
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Evaluates a batch of plans on local worker threads, one accuracy proxy (one network copy) per worker,
 * and adds each plan's predicted costs. Results come back in the batch's order whatever finishes first,
 * so the search stays deterministic. Workers have the stack ONNX Runtime needs ({@link Ort#threads}).
 */
public final class ParallelEvaluator implements PlanEvaluator, AutoCloseable {
    private final BlockingQueue<AccuracyProxy> proxies;
    private final Function<CompressionPlan, Map<String, Double>> costs;
    private final ExecutorService pool;
    private final String description;
    private long evaluatingNanos;

    /**
     * @param workers number of threads (and network copies)
     * @param proxy   makes one accuracy proxy per worker
     * @param costs   the plan's cost objectives ({@code latency_ms}, ...), cheap and thread-safe
     */
    public ParallelEvaluator(int workers, Supplier<AccuracyProxy> proxy, Function<CompressionPlan, Map<String, Double>> costs,
                             String description) {
        this.proxies = new ArrayBlockingQueue<>(workers);
        for (int i = 0; i < workers; i++) proxies.add(proxy.get());
        this.costs = costs;
        this.description = description;
        this.pool = Executors.newFixedThreadPool(workers, Ort.threads("squeeze-eval", true));
    }

    @Override
    public List<Evaluation> evaluate(List<CompressionPlan> plans) {
        long start = System.nanoTime();
        try {
            return evaluateAll(plans);
        } finally {
            evaluatingNanos += System.nanoTime() - start;
        }
    }

    /** Wall time spent inside {@link #evaluate} so far (what the overhead figure is measured against). */
    public double evaluatingSeconds() {
        return evaluatingNanos / 1e9;
    }

    private List<Evaluation> evaluateAll(List<CompressionPlan> plans) {
        var futures = new ArrayList<Future<Evaluation>>();
        for (CompressionPlan p : plans) futures.add(pool.submit(() -> one(p)));
        var out = new ArrayList<Evaluation>();
        try {
            for (Future<Evaluation> f : futures) out.add(f.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("evaluation interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
        return out;
    }

    private Evaluation one(CompressionPlan plan) throws InterruptedException {
        long start = System.nanoTime();
        AccuracyProxy proxy = proxies.take();
        try {
            var values = new LinkedHashMap<>(costs.apply(plan));
            values.put("accuracy", proxy.accuracy(plan));
            return new Evaluation(values, proxy.fidelity(), (System.nanoTime() - start) / 1e9);
        } finally {
            proxies.add(proxy);
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
