package dev.squeeze.evaluators;

import java.util.Map;

/**
 * What evaluating one plan measured: objective values by key, the fidelity they were measured at
 * and how long it took. Immutable.
 */
public record Evaluation(Map<String, Double> values, String fidelity, double seconds) {
    public Evaluation {
        values = Map.copyOf(values);
    }
}
