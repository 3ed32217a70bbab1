package dev.squeeze.evaluators;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.CompressionPlan.LayerPlan;
import dev.squeeze.results.Objective;
import dev.squeeze.spaces.Knob;
import dev.squeeze.spaces.SearchSpace;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code predicted} rung: the quality metric (accuracy, agreement, ...) with only one layer's one setting changed,
 * measured once per (knob, value); a plan's predicted value is the baseline less the sum of its settings' drops.
 * Near-free once built, and it ranks plans for screening and for seeding the first population.
 */
public final class SensitivityTable {
    private final Objective quality;
    private final double baseline;
    private final Map<String, Double> drops; // "layer.kind=value" -> drop of the quality metric (Objective.drop)

    private SensitivityTable(Objective quality, double baseline, Map<String, Double> drops) {
        this.quality = quality;
        this.baseline = baseline;
        this.drops = Map.copyOf(drops);
    }

    /** Measures every (layer knob, value) alone with {@code evaluator} (distillation knobs do not act without fine-tuning). */
    public static SensitivityTable measure(SearchSpace space, PlanEvaluator evaluator, Objective quality, double baseline) {
        var keys = new java.util.ArrayList<String>();
        var plans = new java.util.ArrayList<CompressionPlan>();
        for (Knob k : space.genes()) {
            if (k.layer() == null) continue;
            for (double v : k.values()) {
                CompressionPlan p = single(k, v);
                if (p.key().equals(CompressionPlan.none().key())) continue;
                keys.add(key(k, v));
                plans.add(p);
            }
        }
        List<Evaluation> results = evaluator.evaluate(plans);
        var drops = new HashMap<String, Double>();
        for (int i = 0; i < keys.size(); i++) drops.put(keys.get(i), quality.drop(baseline, results.get(i).values().get(quality.key())));
        return new SensitivityTable(quality, baseline, drops);
    }

    /** The plan that changes one layer's one setting. */
    static CompressionPlan single(Knob k, double v) {
        return new CompressionPlan(CompressionPlan.NONE, Map.of(k.layer(), k.set(CompressionPlan.NONE, v)), CompressionPlan.Distillation.DEFAULT);
    }

    /** How many plans were measured to build the table (one per non-neutral single-layer setting). */
    public int evaluations() {
        return drops.size();
    }

    /** The baseline less the summed single-setting drops of the plan's settings. */
    public double predict(CompressionPlan plan, SearchSpace space) {
        return predict(plan, space, false);
    }

    /**
     * The accuracy the plan's bit-widths alone are predicted to keep, its prune ratios ignored: what a fine-tune is
     * not expected to give back (the recovered rung's prior, {@code search.Promotion}).
     */
    public double predictWithoutPruning(CompressionPlan plan, SearchSpace space) {
        return predict(plan, space, true);
    }

    private double predict(CompressionPlan plan, SearchSpace space, boolean ignorePruning) {
        double drop = 0;
        for (Knob k : space.genes()) {
            if (k.layer() == null || (ignorePruning && k.kind() == Knob.Kind.PRUNE_RATIO)) continue;
            drop += drops.getOrDefault(key(k, k.valueIn(plan)), 0.0);
        }
        return quality.behind(baseline, drop);
    }

    /** The quality objective the table holds drops of. */
    public Objective quality() {
        return quality;
    }

    /** Drop of one (knob, value) measured alone; 0 for the uncompressed value. */
    public double drop(Knob k, double value) {
        return drops.getOrDefault(key(k, value), 0.0);
    }

    public double baseline() {
        return baseline;
    }

    private static String key(Knob k, double v) {
        return k.label() + "=" + v;
    }
}
