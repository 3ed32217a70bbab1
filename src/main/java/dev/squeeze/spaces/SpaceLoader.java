package dev.squeeze.spaces;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.LayerNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a space file ({@code squeeze-space/v1}) and resolves it against a model's layers.
 * Entries apply in order, later ones overriding earlier ones field by field. Prune ratios apply to
 * layers that lead a dependency group (others follow their group); bit-widths to layers with weights.
 */
public final class SpaceLoader {
    public static final String SCHEMA = "squeeze-space/v1";
    private static final List<String> TOP_KEYS = List.of("schema", "description", "layers", "distillation", "align_to_device");
    private static final List<String> ENTRY_KEYS = List.of("match", "prune_ratio", "weight_bits", "act_bits");
    private static final List<String> MATCH_KEYS = List.of("types", "names", "names_re", "exclude", "role");
    /** {@code role: output}: the model's output layers, whatever they are named (a space for any model needs them). */
    private static final List<String> ROLES = List.of("output");
    private static final List<String> VALUE_KEYS = List.of("values");
    private static final Set<String> WEIGHTED = Set.of("conv2d", "dense", "attention", "embedding");

    private SpaceLoader() {}

    public static SearchSpace load(Path file, LayerGraph graph) {
        return resolve(Yaml.read(file), graph);
    }

    public static SearchSpace resolve(Yaml doc, LayerGraph graph) {
        JsonNode root = doc.root();
        doc.checkKeys(root, "the space", TOP_KEYS);
        doc.checkSchema(root, "the space", SCHEMA);

        // layer -> kind -> values, in graph order; later entries override field by field
        Map<String, Map<Knob.Kind, List<Double>>> settings = new LinkedHashMap<>();
        for (LayerNode n : graph.nodes()) settings.put(n.name(), new EnumMap<>(Knob.Kind.class));
        JsonNode entries = doc.required(root, "layers", "the space");
        if (!entries.isArray() || entries.isEmpty()) throw doc.error(entries, "'layers' must be a non-empty list of {match, knobs} entries");
        for (JsonNode entry : entries) {
            doc.checkKeys(entry, "a layers entry", ENTRY_KEYS);
            List<LayerNode> matched = match(doc, entry, graph);
            for (Knob.Kind kind : Knob.Kind.values()) {
                if (!kind.perLayer()) continue;
                if (!entry.has(kind.key())) continue;
                List<Double> values = values(doc, entry.get(kind.key()), kind);
                for (LayerNode n : matched) {
                    if (applies(kind, n, graph)) settings.get(n.name()).put(kind, values);
                }
            }
        }

        var knobs = new ArrayList<Knob>();
        settings.forEach((layer, kinds) -> kinds.forEach((kind, values) -> knobs.add(new Knob(layer, kind, values))));
        if (knobs.isEmpty()) {
            throw doc.error(entries, "no entry gives any matched layer a knob: prune_ratio needs a prunable layer, bits a layer with weights");
        }
        if (root.has("distillation")) {
            JsonNode kd = root.get("distillation");
            doc.checkKeys(kd, "distillation", List.of("temperature", "alpha"));
            for (Knob.Kind kind : Knob.Kind.values()) {
                if (!kind.perLayer() && kd.has(kind.key())) knobs.add(new Knob(null, kind, values(doc, kd.get(kind.key()), kind)));
            }
        }
        return new SearchSpace(doc.file(), knobs, doc.bool(root, "align_to_device", "the space", false));
    }

    /** Whether a knob kind means anything for a layer. */
    private static boolean applies(Knob.Kind kind, LayerNode n, LayerGraph graph) {
        if (kind == Knob.Kind.PRUNE_RATIO) {
            return graph.groupOf(n.name()).map(g -> g.id().equals(n.name())).orElse(false);
        }
        return WEIGHTED.contains(n.type());
    }

    private static List<LayerNode> match(Yaml doc, JsonNode entry, LayerGraph graph) {
        JsonNode m = doc.required(entry, "match", "a layers entry");
        doc.checkKeys(m, "match", MATCH_KEYS);
        List<String> types = strings(doc, m, "types");
        List<String> names = strings(doc, m, "names");
        List<String> exclude = strings(doc, m, "exclude");
        List<String> roles = strings(doc, m, "role");
        for (String r : roles) {
            if (!ROLES.contains(r)) throw doc.error(m.get("role"), "unknown role '" + r + "'; roles: " + String.join(", ", ROLES));
        }
        List<LayerNode> outputs = graph.outputs();
        List<Pattern> patterns = new ArrayList<>();
        for (String re : strings(doc, m, "names_re")) {
            try {
                patterns.add(Pattern.compile(re));
            } catch (PatternSyntaxException e) {
                throw doc.error(m.get("names_re"), "names_re '" + re + "' is not a valid regular expression: " + e.getDescription());
            }
        }
        for (String n : concat(names, exclude)) {
            if (!graph.has(n)) {
                String close = Yaml.closest(n, graph.layerNames());
                throw doc.error(m, "no layer named '" + n + "' in " + graph.name() + (close != null ? " (did you mean '" + close + "'?)" : "")
                        + "; see `squeeze inspect` for the layer names");
            }
        }
        var known = dev.squeeze.model.Ops.names();
        for (String t : types) {
            if (!known.contains(t)) {
                String close = Yaml.closest(t, known);
                throw doc.error(m.get("types"), "unknown layer type '" + t + "'" + (close != null ? " (did you mean '" + close + "'?)" : "")
                        + "; types: " + String.join(", ", known));
            }
        }
        List<LayerNode> matched = graph.nodes().stream()
                .filter(n -> types.isEmpty() || types.contains(n.type()))
                .filter(n -> names.isEmpty() || names.contains(n.name()))
                .filter(n -> patterns.isEmpty() || patterns.stream().anyMatch(p -> p.matcher(n.name()).matches()))
                .filter(n -> roles.isEmpty() || outputs.contains(n))
                .filter(n -> !exclude.contains(n.name()))
                .toList();
        if (matched.isEmpty()) {
            throw doc.error(m, "this selector matches no layer of " + graph.name() + ": check types/names/names_re/role against `squeeze inspect`");
        }
        return matched;
    }

    private static List<Double> values(Yaml doc, JsonNode node, Knob.Kind kind) {
        doc.checkKeys(node, kind.key(), VALUE_KEYS);
        JsonNode vs = doc.required(node, "values", kind.key());
        if (!vs.isArray() || vs.isEmpty()) {
            throw doc.error(vs, kind.key() + ".values is empty: list at least one value, e.g. values: [" + kind.example() + "]");
        }
        var out = new ArrayList<Double>();
        for (JsonNode v : vs) {
            if (!v.isNumber()) throw doc.error(v, kind.key() + " value " + v + " is not a number");
            double d = v.asDouble();
            String problem = kind.problem(d);
            if (problem != null) throw doc.error(v, kind.key() + " value " + v + " " + problem);
            if (!out.contains(d)) out.add(d);
        }
        return out;
    }

    private static List<String> strings(Yaml doc, JsonNode m, String key) {
        if (!m.has(key)) return List.of();
        JsonNode v = m.get(key);
        if (v.isTextual()) return List.of(v.asText());
        if (!v.isArray()) throw doc.error(v, "'" + key + "' must be a name or a list of names");
        var out = new ArrayList<String>();
        v.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        var out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
