package dev.squeeze.spaces;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.CompressionPlan.Distillation;
import dev.squeeze.model.CompressionPlan.LayerPlan;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The knobs a search may turn, resolved against one model's layers. A candidate is one index per
 * knob; {@link #plan(int[])} turns it into a {@link CompressionPlan}, so a candidate has an exact
 * cache key. Knobs with a single value are fixed settings, not genes. Immutable.
 *
 * @param source        the space file, for messages and provenance
 * @param knobs         every knob in a stable order (layers in graph order, then distillation)
 * @param alignToDevice round kept units to the device's alignment multiple
 */
public record SearchSpace(String source, List<Knob> knobs, boolean alignToDevice) {
    public SearchSpace {
        knobs = List.copyOf(knobs);
    }

    /**
     * The same space with every prune ratio re-expressed so that the units it keeps are a multiple of
     * the layer's alignment (what {@code align_to_device} asks for): kept counts round up, ratios that
     * land on the same count merge. Plans then say exactly what is kept, for the cost model and the
     * compressed network alike.
     */
    public SearchSpace alignedTo(dev.squeeze.model.LayerGraph graph, java.util.function.ToIntFunction<String> alignOfLayer) {
        var aligned = new java.util.ArrayList<Knob>();
        for (Knob k : knobs) {
            if (k.kind() != Knob.Kind.PRUNE_RATIO) {
                aligned.add(k);
                continue;
            }
            int units = graph.prunableUnits(k.layer());
            int align = Math.max(1, alignOfLayer.applyAsInt(k.layer()));
            var values = new java.util.ArrayList<Double>();
            for (double r : k.values()) {
                double ratio = dev.squeeze.model.CompressionPlan.alignedRatio(units, r, align);
                if (!values.contains(ratio)) values.add(ratio);
            }
            aligned.add(new Knob(k.layer(), k.kind(), values));
        }
        return new SearchSpace(source, aligned, alignToDevice);
    }

    /** Knobs with more than one value: the genes of a candidate. */
    public List<Knob> genes() {
        return knobs.stream().filter(k -> k.values().size() > 1).toList();
    }

    /** Number of distinct plans in the space. */
    public BigInteger size() {
        BigInteger n = BigInteger.ONE;
        for (Knob k : genes()) n = n.multiply(BigInteger.valueOf(k.values().size()));
        return n;
    }

    /** The plan for one index per gene (in {@link #genes()} order). */
    public CompressionPlan plan(int[] geneIndices) {
        List<Knob> genes = genes();
        if (geneIndices.length != genes.size()) {
            throw new IllegalArgumentException("expected " + genes.size() + " gene indices, got " + geneIndices.length);
        }
        Map<Knob, Double> chosen = new HashMap<>();
        for (int i = 0; i < genes.size(); i++) chosen.put(genes.get(i), genes.get(i).values().get(geneIndices[i]));
        return planOf(k -> chosen.getOrDefault(k, k.values().get(0)));
    }

    /** The gene indices whose values are closest to a plan's settings (to seed baselines into the space). */
    public int[] indicesOf(CompressionPlan plan) {
        List<Knob> genes = genes();
        int[] idx = new int[genes.size()];
        for (int i = 0; i < idx.length; i++) {
            Knob k = genes.get(i);
            idx[i] = k.indexOfClosest(k.valueIn(plan));
        }
        return idx;
    }

    private CompressionPlan planOf(java.util.function.ToDoubleFunction<Knob> value) {
        Map<String, LayerPlan> layers = new LinkedHashMap<>();
        Distillation kd = Distillation.DEFAULT;
        for (Knob k : knobs) {
            double v = value.applyAsDouble(k);
            if (k.kind().perLayer()) layers.put(k.layer(), k.set(layers.getOrDefault(k.layer(), CompressionPlan.NONE), v));
            else kd = k.set(kd, v);
        }
        return new CompressionPlan(CompressionPlan.NONE, layers, kd);
    }
}
