package dev.squeeze.evaluators;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Fidelity;

import java.util.Map;

/**
 * What evaluating one plan measured: objective values by key, the fidelity they were measured at, how long it took,
 * when it ran on a cluster worker where (null: on this machine), and which evaluator made it. Null fields are left out
 * of JSON, so caches written before a field existed read back unchanged: {@code worker} and {@code evaluatedBy} are
 * null only in evaluations read from such caches or made on this machine ({@code worker}). Immutable.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Evaluation(Map<String, Double> values, Fidelity fidelity, double seconds, String worker, EvaluatedBy evaluatedBy) {
    public Evaluation {
        values = Map.copyOf(values);
        java.util.Objects.requireNonNull(fidelity, "fidelity");
    }

    /** An evaluation made on this machine by {@code evaluatedBy}. */
    public Evaluation(Map<String, Double> values, Fidelity fidelity, double seconds, EvaluatedBy evaluatedBy) {
        this(values, fidelity, seconds, null, evaluatedBy);
    }

    /** The same evaluation (fidelity, time, worker, evaluator) with other values, e.g. the values plus what a rung adds. */
    public Evaluation withValues(Map<String, Double> values) {
        return new Evaluation(values, fidelity, seconds, worker, evaluatedBy);
    }
}
