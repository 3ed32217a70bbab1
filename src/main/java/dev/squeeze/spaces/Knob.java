package dev.squeeze.spaces;

import java.util.List;

/**
 * One searchable setting: a layer's prune ratio or bit-width, or a global distillation setting,
 * with the finite list of values it may take. A gene holds an index into {@code values}.
 *
 * @param layer the layer it applies to, or {@code null} for distillation knobs
 */
public record Knob(String layer, Kind kind, List<Double> values) {
    public Knob {
        values = List.copyOf(values);
        if (values.isEmpty()) throw new IllegalArgumentException("a knob needs at least one value");
    }

    /** What a knob sets. */
    public enum Kind {
        PRUNE_RATIO("prune_ratio"), WEIGHT_BITS("weight_bits"), ACT_BITS("act_bits"),
        TEMPERATURE("temperature"), ALPHA("alpha");

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        /** The key in space and plan files. */
        public String key() {
            return key;
        }
    }

    /** Human-readable name: {@code conv2.prune_ratio}, {@code distillation.alpha}. */
    public String label() {
        return (layer == null ? "distillation" : layer) + "." + kind.key();
    }

    /** Index of the value closest to {@code v} (used to place baselines into the space). */
    public int indexOfClosest(double v) {
        int best = 0;
        for (int i = 1; i < values.size(); i++) {
            if (Math.abs(values.get(i) - v) < Math.abs(values.get(best) - v)) best = i;
        }
        return best;
    }
}
