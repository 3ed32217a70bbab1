package dev.squeeze.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.squeeze.model.CompressionPlan;

import java.util.Map;

/**
 * One evaluated plan: an immutable record, written once to {@code trials.jsonl} and never changed.
 *
 * @param id         stable id within the run ({@code t0001}, ...)
 * @param generation the generation that first asked for it (0 = the seeded population)
 * @param values     objective values by key ({@code accuracy}, {@code latency_ms}, ...)
 * @param slack      per constraint, limit minus value in the constraint's direction: >= 0 when met
 * @param violation  total constraint violation (0 when feasible), what constrained domination ranks by
 * @param fidelity   the rung that obtained the values (in the file: {@code predicted}, {@code measured} or {@code recovered})
 * @param cacheHit   whether the values came from an earlier run's cache
 * @param seconds    wall time spent evaluating it
 * @param worker     the cluster worker that measured it ({@code host:port}), or null when it was measured on the
 *                   search's own machine (the key is then absent, as in runs made before clusters existed)
 * @param evaluatedBy the evaluator and rung that made the evaluation ({@code evaluated_by}); null, and absent from the
 *                   file, for trials of runs made before evaluations named their maker and for cache hits on their caches
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Trial(String id, int generation, CompressionPlan plan, Map<String, Double> values,
                    Map<String, Double> slack, double violation, Fidelity fidelity, boolean cacheHit, double seconds, String worker,
                    EvaluatedBy evaluatedBy) {
    /** The value key of the search's accuracy model's prediction on a trial it proposed (made before the plan was measured). */
    public static final String SURROGATE = Objective.ACCURACY.key() + "_surrogate";

    public Trial {
        values = Map.copyOf(values);
        slack = slack == null ? Map.of() : Map.copyOf(slack);
        java.util.Objects.requireNonNull(fidelity, "fidelity");
    }

    /** A trial measured on this machine by an evaluator it does not name (a test's or a benchmark's fixture). */
    public Trial(String id, int generation, CompressionPlan plan, Map<String, Double> values,
                 Map<String, Double> slack, double violation, Fidelity fidelity, boolean cacheHit, double seconds) {
        this(id, generation, plan, values, slack, violation, fidelity, cacheHit, seconds, null, null);
    }

    public boolean feasible() {
        return violation <= 0;
    }

    public double value(Objective o) {
        Double v = values.get(o.key());
        if (v == null) throw new IllegalStateException("trial " + id + " has no " + o.key());
        return v;
    }
}
