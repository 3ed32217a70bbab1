package dev.squeeze.spaces;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.CompressionPlan.Distillation;
import dev.squeeze.model.CompressionPlan.LayerPlan;

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
        if ((layer == null) == kind.perLayer()) {
            throw new IllegalArgumentException(kind.key() + (kind.perLayer() ? " needs a layer" : " is global, not per layer"));
        }
    }

    /**
     * What a knob sets, and everything that differs between settings: where its value lives in a plan, which values are
     * valid, which value leaves the model as it is. One place, so adding a knob is adding a constant here.
     */
    public enum Kind {
        PRUNE_RATIO("prune_ratio", 0, "0.0, 0.25, 0.5") {
            double of(LayerPlan p) { return p.pruneRatio(); }
            LayerPlan with(LayerPlan p, double v) { return new LayerPlan(v, p.weightBits(), p.actBits()); }
            public String problem(double v) { return v >= 0 && v < 1 ? null : "must be in [0, 1)"; }
        },
        WEIGHT_BITS("weight_bits", 32, "4, 8, 32") {
            double of(LayerPlan p) { return p.weightBits(); }
            LayerPlan with(LayerPlan p, double v) { return new LayerPlan(p.pruneRatio(), (int) v, p.actBits()); }
            public String problem(double v) { return bitsProblem(v); }
        },
        ACT_BITS("act_bits", 32, "4, 8, 32") {
            double of(LayerPlan p) { return p.actBits(); }
            LayerPlan with(LayerPlan p, double v) { return new LayerPlan(p.pruneRatio(), p.weightBits(), (int) v); }
            public String problem(double v) { return bitsProblem(v); }
        },
        TEMPERATURE("temperature", Distillation.DEFAULT.temperature(), "2, 4") {
            double of(Distillation d) { return d.temperature(); }
            Distillation with(Distillation d, double v) { return new Distillation(v, d.alpha(), d.featureLayers()); }
            public String problem(double v) { return v > 0 ? null : "must be > 0"; }
        },
        ALPHA("alpha", Distillation.DEFAULT.alpha(), "0.3, 0.5") {
            double of(Distillation d) { return d.alpha(); }
            Distillation with(Distillation d, double v) { return new Distillation(d.temperature(), v, d.featureLayers()); }
            public String problem(double v) { return v >= 0 && v <= 1 ? null : "must be in [0, 1]"; }
        };

        private final String key;
        private final double neutral;
        private final String example;

        Kind(String key, double neutral, String example) {
            this.key = key;
            this.neutral = neutral;
            this.example = example;
        }

        /** The key in space and plan files. */
        public String key() {
            return key;
        }

        /** Per-layer settings (prune ratio, bits) rather than global distillation settings. */
        public boolean perLayer() {
            return ordinal() <= ACT_BITS.ordinal();
        }

        /** The value that changes nothing: no pruning, float bits, the default distillation. */
        public double neutral() {
            return neutral;
        }

        /** Whether {@code a} compresses more than {@code b} (more pruning, fewer bits). */
        public boolean moreAggressive(double a, double b) {
            return this == PRUNE_RATIO ? a > b : a < b;
        }

        /** Why {@code v} is not a valid value, or null when it is. */
        public abstract String problem(double v);

        /** A few valid values, for error messages. */
        public String example() {
            return example;
        }

        double of(LayerPlan p) { throw new IllegalStateException(key + " is not a layer setting"); }
        LayerPlan with(LayerPlan p, double v) { throw new IllegalStateException(key + " is not a layer setting"); }
        double of(Distillation d) { throw new IllegalStateException(key + " is not a distillation setting"); }
        Distillation with(Distillation d, double v) { throw new IllegalStateException(key + " is not a distillation setting"); }

        private static String bitsProblem(double v) {
            return CompressionPlan.VALID_BITS.contains((int) v) && v == Math.rint(v) ? null : "must be 2..8, 16 or 32";
        }
    }

    /** This knob's value in a plan. */
    public double valueIn(CompressionPlan plan) {
        return kind.perLayer() ? kind.of(plan.forLayer(layer)) : kind.of(plan.distillation());
    }

    /** A layer's settings with this knob set to {@code v} (a per-layer knob). */
    public LayerPlan set(LayerPlan p, double v) {
        return kind.with(p, v);
    }

    /** Distillation settings with this knob set to {@code v} (a global knob). */
    public Distillation set(Distillation d, double v) {
        return kind.with(d, v);
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
