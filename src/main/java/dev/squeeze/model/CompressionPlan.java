package dev.squeeze.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.squeeze.SqueezeException;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What to do to each layer: prune ratio, weight bits, activation bits; plus distillation settings
 * for fine-tuning. Expressed by layer name so it survives JSON and is read back by export.
 * Immutable; layers not listed use {@code defaults}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CompressionPlan(LayerPlan defaults, Map<String, LayerPlan> layers, Distillation distillation) {
    /** Bit-widths a plan may name: 2..8 integer, 16 = fp16, 32 = unquantized. */
    public static final Set<Integer> VALID_BITS = Set.of(2, 3, 4, 5, 6, 7, 8, 16, 32);
    public static final LayerPlan NONE = new LayerPlan(0.0, 32, 32);

    public CompressionPlan {
        layers = java.util.Collections.unmodifiableMap(new TreeMap<>(layers));
    }

    /**
     * One layer's settings.
     *
     * @param pruneRatio fraction of the layer's prunable units removed (0 keeps all)
     * @param weightBits 2..8, 16 (fp16) or 32 (unquantized)
     * @param actBits    bits of the layer's output activations, same values
     */
    public record LayerPlan(double pruneRatio, int weightBits, int actBits) {
        public LayerPlan {
            if (!(pruneRatio >= 0 && pruneRatio < 1)) {
                throw new IllegalArgumentException("prune_ratio must be in [0, 1), got " + pruneRatio);
            }
            checkBits("weight_bits", weightBits);
            checkBits("act_bits", actBits);
        }
    }

    /**
     * @param temperature   softening temperature T of teacher and student logits
     * @param alpha         weight of the hard-label loss; (1 - alpha) weighs the distillation term
     * @param featureLayers intermediate outputs matched with MSE (may be empty)
     */
    public record Distillation(double temperature, double alpha, List<String> featureLayers) {
        public static final Distillation DEFAULT = new Distillation(4, 0.3, List.of());

        public Distillation {
            if (!(temperature > 0)) throw new IllegalArgumentException("distillation temperature must be > 0, got " + temperature);
            if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("distillation alpha must be in [0, 1], got " + alpha);
            featureLayers = featureLayers == null ? List.of() : List.copyOf(featureLayers);
        }
    }

    static void checkBits(String what, int bits) {
        if (!VALID_BITS.contains(bits)) {
            throw new IllegalArgumentException(what + " must be 2..8, 16 (fp16) or 32 (unquantized), got " + bits);
        }
    }

    /** The uncompressed plan. */
    public static CompressionPlan none() {
        return new CompressionPlan(NONE, Map.of(), Distillation.DEFAULT);
    }

    private static final Pattern UNIFORM = Pattern.compile("w(\\d+)a(\\d+)(?:p(0?\\.\\d+|0|1))?");

    /**
     * {@code --uniform} shorthand: {@code w8a8} (all layers), {@code w4a8p0.5} (plus 50% pruning of every
     * prunable layer). Pruning applies to prunable layers only; the others keep everything.
     */
    public static CompressionPlan uniform(String shorthand) {
        Matcher m = UNIFORM.matcher(shorthand.trim().toLowerCase(java.util.Locale.ROOT));
        if (!m.matches()) {
            throw new SqueezeException("--uniform '" + shorthand + "' is not of the form wNaN or wNaNpR (e.g. w8a8, w4a8p0.5)");
        }
        double prune = m.group(3) == null ? 0 : Double.parseDouble(m.group(3));
        try {
            return new CompressionPlan(new LayerPlan(prune, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))),
                    Map.of(), Distillation.DEFAULT);
        } catch (IllegalArgumentException e) {
            throw new SqueezeException("--uniform '" + shorthand + "': " + e.getMessage());
        }
    }

    /** The settings for a layer (its own entry, else the defaults). */
    public LayerPlan forLayer(String layer) {
        return layers.getOrDefault(layer, defaults);
    }

    /**
     * The prune ratio that applies to a layer: its group's ratio, taken from the group's first producer.
     * Default prune ratios apply to prunable layers only.
     */
    public double pruneRatio(LayerGraph graph, String layer) {
        return graph.groupOf(layer).map(g -> forLayer(g.id()).pruneRatio()).orElse(0.0);
    }

    /** Units kept in a group under this plan, rounded up to a multiple of {@code align} (1 = no rounding). */
    public int keptUnits(LayerGraph graph, DependencyGroup group, int align) {
        return Math.min(group.units(), keptRoundedUp(group.units(), forLayer(group.id()).pruneRatio(), align));
    }

    /** {@code units} less {@code ratio} of them, rounded up to a multiple of {@code align} (below 2: not rounded). */
    private static int keptRoundedUp(int units, double ratio, int align) {
        int kept = (int) Math.round(units * (1 - ratio));
        return align > 1 ? (kept + align - 1) / align * align : kept;
    }

    /**
     * The prune ratio of {@code units} whose kept count is a multiple of {@code align}: the kept count of {@code ratio}
     * rounded up (at least {@code align}, at most {@code units}). What a space's {@code align_to_device} does to its values.
     */
    public static double alignedRatio(int units, double ratio, int align) {
        int kept = Math.min(units, Math.max(align, keptRoundedUp(units, ratio, align)));
        return 1 - (double) kept / units;
    }

    /**
     * Checks the plan against a graph: every named layer exists, explicit prune ratios only on layers
     * that can be pruned (and on the first producer of a residual group), no group pruned to zero units.
     *
     * @param source the file or flag the plan came from, for the error message
     */
    public CompressionPlan validate(LayerGraph graph, String source) {
        for (var e : layers.entrySet()) {
            String layer = e.getKey();
            if (!graph.has(layer)) {
                String close = dev.squeeze.Yaml.closest(layer, graph.layerNames());
                throw new SqueezeException(source + ": layer '" + layer + "' does not exist in " + graph.name()
                        + (close != null ? " (did you mean '" + close + "'?)" : "") + "; layers: " + String.join(", ", graph.layerNames()));
            }
            if (e.getValue().pruneRatio() > 0) {
                var group = graph.groupOf(layer);
                if (group.isEmpty()) {
                    throw new SqueezeException(source + ": layer '" + layer + "' has nothing to prune (prune_ratio must be 0); prunable: "
                            + String.join(", ", graph.groups().stream().map(DependencyGroup::id).toList()));
                }
                if (!group.get().id().equals(layer)) {
                    throw new SqueezeException(source + ": layer '" + layer + "' is pruned together with '" + group.get().id()
                            + "' (same dependency group): set prune_ratio on '" + group.get().id() + "'");
                }
            }
        }
        for (DependencyGroup g : graph.groups()) {
            if (keptUnits(graph, g, 1) < 1) {
                throw new SqueezeException(source + ": prune_ratio " + forLayer(g.id()).pruneRatio() + " on '" + g.id()
                        + "' would remove all " + g.units() + " " + g.unit().label() + ": use a smaller ratio");
            }
        }
        return this;
    }

    /** A stable text key: equal plans give equal keys (used by caches). */
    @JsonIgnore
    public String key() {
        var sb = new StringBuilder("d=").append(defaults);
        layers.forEach((k, v) -> sb.append(';').append(k).append('=').append(v));
        return sb.append(";kd=").append(distillation).toString();
    }
}
