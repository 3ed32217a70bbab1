package dev.squeeze.results;

import dev.squeeze.SqueezeException;

import java.util.List;
import java.util.Map;

/**
 * A limit a plan must meet, as {@code key <= limit}: {@code latency_ms}, {@code energy_mj},
 * {@code size_mb}, {@code peak_memory_mb}, or {@code accuracy_drop} (baseline accuracy minus the
 * plan's, measured the same way). Slack is {@code limit - value}: met when >= 0.
 */
public record Constraint(String key, double limit) {
    /** The accuracy limit's key: baseline accuracy minus the plan's. */
    public static final String ACCURACY_DROP = Objective.ACCURACY.key() + "_drop";
    /** {@link #ACCURACY_DROP}, then every minimised objective's key, in objective order. */
    public static final List<String> KEYS = java.util.stream.Stream.concat(java.util.stream.Stream.of(ACCURACY_DROP),
            java.util.Arrays.stream(Objective.values()).filter(o -> !o.maximize()).map(Objective::key)).toList();

    public static Constraint of(String key, double limit, String where) {
        if (!KEYS.contains(key)) {
            String close = dev.squeeze.Yaml.closest(key, KEYS);
            throw new SqueezeException(where + ": unknown constraint '" + key + "'" + (close != null ? " (did you mean '" + close + "'?)" : "")
                    + "; constraints: " + String.join(", ", KEYS));
        }
        return new Constraint(key, limit);
    }

    /** {@code limit - value} for a plan's values; {@code baselineAccuracy} serves accuracy_drop. */
    public double slack(Map<String, Double> values, double baselineAccuracy) {
        double v = key.equals(ACCURACY_DROP) ? baselineAccuracy - values.get(Objective.ACCURACY.key()) : values.get(key);
        return limit - v;
    }

    /**
     * Violation scaled by the limit (or by 1 for a zero limit), so that constraints in different units
     * add up: what constrained domination ranks infeasible plans by.
     */
    public double violation(Map<String, Double> values, double baselineAccuracy) {
        double s = slack(values, baselineAccuracy);
        return s >= 0 ? 0 : -s / Math.max(Math.abs(limit), key.equals(ACCURACY_DROP) ? 0.01 : 1e-9);
    }
}
