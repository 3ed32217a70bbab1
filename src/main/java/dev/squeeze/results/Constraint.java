package dev.squeeze.results;

import dev.squeeze.SqueezeException;

import java.util.List;
import java.util.Map;

/**
 * A limit a plan must meet, as {@code key <= limit}: {@code latency_ms}, {@code energy_mj}, {@code size_mb},
 * {@code peak_memory_mb}, or a quality objective's drop ({@code accuracy_drop}, {@code agreement_drop}, ...: how far the
 * plan is behind the uncompressed model, measured the same way, {@link Objective#drop}). Slack is {@code limit - value}:
 * met when >= 0.
 */
public record Constraint(String key, double limit) {
    /** The accuracy limit's key: baseline accuracy minus the plan's. */
    public static final String ACCURACY_DROP = Objective.ACCURACY.dropKey();
    /** Every quality objective's drop key, then every minimised cost's key, in objective order. */
    public static final List<String> KEYS = java.util.stream.Stream.concat(
            java.util.Arrays.stream(Objective.values()).filter(Objective::quality).map(Objective::dropKey),
            java.util.Arrays.stream(Objective.values()).filter(o -> !o.quality() && !o.maximize()).map(Objective::key)).toList();

    public static Constraint of(String key, double limit, String where) {
        if (!KEYS.contains(key)) {
            String close = dev.squeeze.Yaml.closest(key, KEYS);
            throw new SqueezeException(where + ": unknown constraint '" + key + "'" + (close != null ? " (did you mean '" + close + "'?)" : "")
                    + "; constraints: " + String.join(", ", KEYS));
        }
        return new Constraint(key, limit);
    }

    /** The quality objective this constraint limits the drop of, or null for a cost limit. */
    public Objective limitsDropOf() {
        for (Objective o : Objective.values()) if (o.quality() && o.dropKey().equals(key)) return o;
        return null;
    }

    /** {@code limit - value} for a plan's values; {@code baseline} (the uncompressed model's quality) serves drop limits. */
    public double slack(Map<String, Double> values, double baseline) {
        Objective q = limitsDropOf();
        double v = q != null ? q.drop(baseline, values.get(q.key())) : values.get(key);
        return limit - v;
    }

    /**
     * Violation scaled by the limit (or by 1 for a zero limit), so that constraints in different units
     * add up: what constrained domination ranks infeasible plans by.
     */
    public double violation(Map<String, Double> values, double baseline) {
        double s = slack(values, baseline);
        return s >= 0 ? 0 : -s / Math.max(Math.abs(limit), limitsDropOf() != null ? 0.01 : 1e-9);
    }
}
