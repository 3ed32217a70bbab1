package dev.squeeze.evaluators;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.squeeze.results.Fidelity;

import java.util.Map;

/**
 * What evaluating one plan measured: objective values by key, the fidelity they were measured at, how long it took
 * and, when it ran on a cluster worker, where (null: on this machine; left out of JSON then, so caches written before
 * the field existed read back unchanged). Immutable.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Evaluation(Map<String, Double> values, Fidelity fidelity, double seconds, String worker) {
    public Evaluation {
        values = Map.copyOf(values);
    }

    /** An evaluation made on this machine. */
    public Evaluation(Map<String, Double> values, Fidelity fidelity, double seconds) {
        this(values, fidelity, seconds, null);
    }

    /** The same evaluation (fidelity, time, worker) with other values, e.g. the values plus what a rung adds. */
    public Evaluation withValues(Map<String, Double> values) {
        return new Evaluation(values, fidelity, seconds, worker);
    }
}
