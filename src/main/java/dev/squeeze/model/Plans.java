package dev.squeeze.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/** Reads plan files ({@code squeeze-plan/v1}, YAML or JSON) and the {@code --uniform} shorthand. */
public final class Plans {
    public static final String SCHEMA = "squeeze-plan/v1";
    private static final List<String> LAYER_KEYS = List.of("prune_ratio", "weight_bits", "act_bits");

    private Plans() {}

    /** A plan from {@code --plan FILE} or {@code --uniform SHORTHAND} (exactly one non-null), checked against the graph. */
    public static CompressionPlan resolve(Path planFile, String uniform, LayerGraph graph) {
        if (planFile != null && uniform != null) throw new SqueezeException("give --plan or --uniform, not both");
        if (planFile != null) return load(planFile).validate(graph, planFile.toString());
        if (uniform != null) return CompressionPlan.uniform(uniform).validate(graph, "--uniform " + uniform);
        return CompressionPlan.none();
    }

    public static CompressionPlan load(Path file) {
        return parse(Yaml.read(file));
    }

    static CompressionPlan parse(Yaml doc) {
        JsonNode root = doc.root();
        doc.checkKeys(root, "the plan", List.of("schema", "defaults", "layers", "distillation"));
        if (root.has("schema") && !SCHEMA.equals(root.get("schema").asText())) {
            throw doc.error(root.get("schema"), "schema is '" + root.get("schema").asText() + "'; this squeeze reads " + SCHEMA);
        }
        CompressionPlan.LayerPlan defaults = root.has("defaults") ? layer(doc, root.get("defaults"), "defaults", CompressionPlan.NONE)
                : CompressionPlan.NONE;
        var layers = new LinkedHashMap<String, CompressionPlan.LayerPlan>();
        if (root.has("layers")) {
            JsonNode ls = root.get("layers");
            if (!ls.isObject()) throw doc.error(ls, "'layers' must map layer names to settings");
            ls.fields().forEachRemaining(e -> layers.put(e.getKey(), layer(doc, e.getValue(), "layer '" + e.getKey() + "'", defaults)));
        }
        CompressionPlan.Distillation kd = CompressionPlan.Distillation.DEFAULT;
        if (root.has("distillation")) {
            JsonNode d = root.get("distillation");
            doc.checkKeys(d, "distillation", List.of("temperature", "alpha", "feature_layers"));
            var features = new ArrayList<String>();
            if (d.has("feature_layers")) d.get("feature_layers").forEach(f -> features.add(f.asText()));
            try {
                kd = new CompressionPlan.Distillation(number(doc, d, "temperature", kd.temperature()),
                        number(doc, d, "alpha", kd.alpha()), features);
            } catch (IllegalArgumentException e) {
                throw doc.error(d, e.getMessage());
            }
        }
        return new CompressionPlan(defaults, layers, kd);
    }

    private static CompressionPlan.LayerPlan layer(Yaml doc, JsonNode n, String what, CompressionPlan.LayerPlan base) {
        doc.checkKeys(n, what, LAYER_KEYS);
        try {
            return new CompressionPlan.LayerPlan(number(doc, n, "prune_ratio", base.pruneRatio()),
                    doc.integer(n, "weight_bits", what, base.weightBits()), doc.integer(n, "act_bits", what, base.actBits()));
        } catch (IllegalArgumentException e) {
            throw doc.error(n, what + ": " + e.getMessage());
        }
    }

    private static double number(Yaml doc, JsonNode n, String key, double fallback) {
        if (!n.has(key)) return fallback;
        JsonNode v = n.get(key);
        if (!v.isNumber()) throw doc.error(v, "'" + key + "' must be a number, got " + v);
        return v.asDouble();
    }
}
