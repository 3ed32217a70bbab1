package dev.squeeze.search;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Constraint;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Trial;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Every plan the run has evaluated, by plan key and fidelity. A resumed run replays the search from its
 * seed: trials of the interrupted run become visible again exactly when the replay asks for them, so
 * the replay takes the same path and nothing finished is evaluated twice. Plans evaluated by earlier
 * runs (the persisted cache) are recorded as cache hits. New plans are evaluated in one batch and
 * recorded in the order the search asked for them, so trial ids are stable.
 */
final class TrialBook {
    private final PlanEvaluator evaluator;
    private final List<Constraint> constraints;
    private final double baselineAccuracy;
    private final Map<String, Trial> previous = new HashMap<>();    // "key@fidelity" -> trial of the interrupted run
    private final Map<String, Trial> visible = new LinkedHashMap<>(); // plan key -> latest trial in this replay
    private final Map<String, Evaluation> cache;
    private final Consumer<Trial> onNewTrial;
    private int nextId;
    private int evaluatedThisRun;
    private int cachedThisRun;

    TrialBook(PlanEvaluator evaluator, List<Constraint> constraints, double baselineAccuracy,
              Collection<Trial> interrupted, Map<String, Evaluation> cache, Consumer<Trial> onNewTrial) {
        this.evaluator = evaluator;
        this.constraints = constraints;
        this.baselineAccuracy = baselineAccuracy;
        for (Trial t : interrupted) {
            previous.put(key(t.plan(), t.fidelity()), t);
            nextId = Math.max(nextId, Integer.parseInt(t.id().substring(1)));
        }
        this.cache = cache;
        this.onNewTrial = onNewTrial;
    }

    /**
     * Trials for the plans (first fidelity a plan got), evaluating the ones not seen before as one batch.
     *
     * @param predicted the accuracy surrogate's prediction by plan key, for plans it proposed: recorded beside the
     *                  measurement as {@link Trial#SURROGATE} (a prediction made before the plan was measured)
     */
    List<Trial> lookup(List<CompressionPlan> plans, int generation, Map<String, Double> predicted) {
        var missing = new LinkedHashMap<String, CompressionPlan>();
        for (CompressionPlan p : plans) {
            String key = p.key();
            if (visible.containsKey(key) || missing.containsKey(key)) continue;
            Trial replayed = previous.values().stream().filter(t -> t.plan().key().equals(key))
                    .min(java.util.Comparator.comparing(Trial::id)).orElse(null);
            if (replayed != null) {
                visible.put(key, replayed);
            } else if (cache.containsKey(key)) {
                record(p, generation, cache.get(key), true, predicted.get(key));
                cachedThisRun++;
            } else {
                missing.put(key, p);
            }
        }
        if (!missing.isEmpty()) {
            List<CompressionPlan> batch = new ArrayList<>(missing.values());
            List<Evaluation> results = evaluator.evaluate(batch);
            for (int i = 0; i < batch.size(); i++) {
                cache.put(batch.get(i).key(), results.get(i));
                record(batch.get(i), generation, results.get(i), false, predicted.get(batch.get(i).key()));
                evaluatedThisRun++;
            }
        }
        return plans.stream().map(p -> visible.get(p.key())).toList();
    }

    /** A plan's trial at a fidelity from the interrupted run or the cache, made visible; false if there is none. */
    boolean reuse(CompressionPlan plan, Fidelity fidelity, int generation) {
        String key = key(plan, fidelity);
        Trial replayed = previous.get(key);
        if (replayed != null) {
            visible.put(plan.key(), replayed);
            return true;
        }
        Evaluation cached = cache.get(key);
        if (cached == null) return false;
        record(plan, generation, cached, true, surrogateOf(plan));
        cachedThisRun++;
        return true;
    }

    /**
     * Records a higher-fidelity evaluation of a plan as a new trial that supersedes the old one for this
     * plan (trials are immutable: the old line stays in trials.jsonl).
     */
    void upgrade(CompressionPlan plan, Evaluation e, int generation) {
        cache.put(key(plan, e.fidelity()), e);
        record(plan, generation, e, false, surrogateOf(plan));
        evaluatedThisRun++;
    }

    /** The surrogate's prediction the plan's trial so far carries, so a promotion keeps it beside the measured accuracy. */
    private Double surrogateOf(CompressionPlan plan) {
        Trial t = visible.get(plan.key());
        return t == null ? null : t.values().get(Trial.SURROGATE);
    }

    private void record(CompressionPlan plan, int generation, Evaluation e, boolean cacheHit, Double surrogate) {
        var values = new LinkedHashMap<>(e.values());
        if (surrogate != null) values.put(Trial.SURROGATE, surrogate);
        var slack = new LinkedHashMap<String, Double>();
        double violation = 0;
        for (Constraint c : constraints) {
            slack.put(c.key(), c.slack(e.values(), baselineAccuracy));
            violation += c.violation(e.values(), baselineAccuracy);
        }
        String id = String.format("t%04d", ++nextId);
        Trial t = new Trial(id, generation, plan, values, slack, violation, e.fidelity(), cacheHit, cacheHit ? 0 : e.seconds(), e.worker(),
                e.evaluatedBy());
        visible.put(plan.key(), t);
        onNewTrial.accept(t);
    }

    /** A plan's key at a fidelity, {@code <plan key>@<fidelity>}: how promoted evaluations are cached and trials matched on resume. */
    static String key(CompressionPlan plan, Fidelity fidelity) {
        return plan.key() + "@" + fidelity.key();
    }

    /** The latest trial of every plan seen so far in this (re)play. */
    List<Trial> all() {
        return List.copyOf(visible.values());
    }

    int evaluatedThisRun() {
        return evaluatedThisRun;
    }

    int cachedThisRun() {
        return cachedThisRun;
    }
}
