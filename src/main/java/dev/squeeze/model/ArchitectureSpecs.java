package dev.squeeze.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds a {@link LayerGraph} from a weights-free architecture spec ({@code squeeze-arch/v1}), so
 * models that cannot be loaded here (ImageNet CNNs, transformers) can be costed and searched.
 *
 * <pre>
 * schema: squeeze-arch/v1
 * name: resnet18
 * input: {shape: [3, 224, 224]}           # [C,H,W] image, [L,D] sequence, [L] token ids, [D] vector
 * layers:                                 # each reads the previous layer unless it lists inputs
 *   - {name: conv1, op: conv2d, out: 64, kernel: 7, stride: 2, padding: 3, bias: false}
 *   - {name: add1, op: add, inputs: [bn2, maxpool]}
 * </pre>
 * Input widths (channels, features) are inferred from the input shape; stating {@code in} makes it a check.
 */
public final class ArchitectureSpecs {
    public static final String SCHEMA = "squeeze-arch/v1";
    public static final List<String> BUILT_IN = List.of("fashion-cnn", "fashion-resnet", "fashion-mobilenet", "resnet18", "bert-base");

    private static final Set<String> COMMON = Set.of("name", "op", "inputs");
    private static final Map<String, Set<String>> OP_KEYS = Map.ofEntries(
            Map.entry("conv2d", Set.of("in", "out", "kernel", "stride", "padding", "groups", "bias", "activation")),
            Map.entry("dense", Set.of("in", "out", "bias", "activation")),
            Map.entry("pooling", Set.of("mode", "kernel", "stride", "padding")),
            Map.entry("global_pooling", Set.of("mode")),
            Map.entry("flatten", Set.of()),
            Map.entry("add", Set.of()),
            Map.entry("batchnorm", Set.of("features")),
            Map.entry("layernorm", Set.of("features")),
            Map.entry("activation", Set.of("function")),
            Map.entry("embedding", Set.of("vocabulary", "width")),
            Map.entry("attention", Set.of("in", "heads", "head_size", "out", "bias")));

    static {
        if (!OP_KEYS.keySet().equals(new java.util.HashSet<>(LayerOp.TYPES))) {
            throw new IllegalStateException("ArchitectureSpecs.OP_KEYS must cover exactly LayerOp.TYPES");
        }
    }

    private ArchitectureSpecs() {}

    /** Loads a built-in spec by name, or a spec file by path. */
    public static LayerGraph load(String nameOrPath) {
        if (BUILT_IN.contains(nameOrPath)) {
            try (InputStream in = ArchitectureSpecs.class.getResourceAsStream("/specs/" + nameOrPath + ".yaml")) {
                if (in == null) throw new SqueezeException("built-in spec '" + nameOrPath + "' is missing from this build: rebuild squeeze");
                return parse(Yaml.read("built-in spec " + nameOrPath, in));
            } catch (IOException e) {
                throw new SqueezeException("cannot read built-in spec '" + nameOrPath + "': " + e.getMessage());
            }
        }
        Path p = Path.of(nameOrPath);
        if (!Files.isRegularFile(p)) {
            throw new SqueezeException("spec '" + nameOrPath + "' is neither a file nor a built-in spec: give a YAML file or one of "
                    + String.join(", ", BUILT_IN));
        }
        return parse(Yaml.read(p));
    }

    static LayerGraph parse(Yaml doc) {
        JsonNode root = doc.root();
        doc.checkKeys(root, "the spec", List.of("schema", "name", "description", "source", "input", "layers"));
        doc.checkSchema(root, "the spec", SCHEMA);
        String name = doc.text(root, "name", "the spec");
        JsonNode input = doc.required(root, "input", "the spec");
        doc.checkKeys(input, "input", List.of("name", "shape"));
        String inputName = input.has("name") ? doc.text(input, "name", "input") : "input";
        JsonNode shapeNode = doc.required(input, "shape", "input");
        var dims = new ArrayList<Integer>();
        for (JsonNode d : shapeNode) {
            if (!d.isIntegralNumber() || d.asInt() <= 0) throw doc.error(shapeNode, "input shape must be positive whole numbers, got " + shapeNode);
            dims.add(d.asInt());
        }
        if (dims.isEmpty() || dims.size() > 3) throw doc.error(shapeNode, "input shape must have 1 to 3 dimensions, got " + shapeNode);

        var b = LayerGraph.builder(name).input(inputName, new TensorShape(dims));
        JsonNode layers = doc.required(root, "layers", "the spec");
        if (!layers.isArray() || layers.isEmpty()) throw doc.error(layers, "'layers' must be a non-empty list");
        String previous = inputName;
        for (JsonNode layer : layers) {
            String layerName = doc.text(layer, "name", "a layer");
            String what = "layer '" + layerName + "'";
            String op = doc.text(layer, "op", what);
            Set<String> keys = OP_KEYS.get(op);
            if (keys == null) {
                String close = Yaml.closest(op, OP_KEYS.keySet());
                throw doc.error(layer.get("op"), what + " has unknown op '" + op + "'"
                        + (close != null ? " (did you mean '" + close + "'?)" : "") + "; known ops: " + String.join(", ", new TreeSet<>(OP_KEYS.keySet())));
            }
            var allowed = new TreeSet<>(COMMON);
            allowed.addAll(keys);
            doc.checkKeys(layer, what, allowed);
            List<String> inputs = new ArrayList<>();
            if (layer.has("inputs")) {
                for (JsonNode i : layer.get("inputs")) inputs.add(i.asText());
            } else {
                inputs.add(previous);
            }
            try {
                TensorShape in = b.shapeOf(inputs.get(0));
                b.add(layerName, op(doc, layer, what, op, in), inputs);
            } catch (IllegalArgumentException e) {
                throw doc.error(layer, e.getMessage());
            }
            previous = layerName;
        }
        return b.build();
    }

    private static LayerOp op(Yaml doc, JsonNode l, String what, String op, TensorShape in) {
        return switch (op) {
            case "conv2d" -> {
                int[] k = pair(doc, l, "kernel", what, null);
                int[] s = pair(doc, l, "stride", what, new int[]{1, 1});
                int[] p = pair(doc, l, "padding", what, new int[]{0, 0});
                int inCh = doc.integer(l, "in", what, in.dim(0));
                yield new LayerOp.Conv2d(inCh, doc.integer(l, "out", what), k[0], k[1], s[0], s[1], p[0], p[1],
                        doc.integer(l, "groups", what, 1), doc.bool(l, "bias", what, true), textOr(doc, l, "activation", what, "identity"));
            }
            case "dense" -> new LayerOp.Dense(doc.integer(l, "in", what, in.last()), doc.integer(l, "out", what),
                    doc.bool(l, "bias", what, true), textOr(doc, l, "activation", what, "identity"));
            case "pooling" -> {
                int[] k = pair(doc, l, "kernel", what, null);
                int[] s = pair(doc, l, "stride", what, k);
                int[] p = pair(doc, l, "padding", what, new int[]{0, 0});
                yield new LayerOp.Pooling(textOr(doc, l, "mode", what, "max"), k[0], k[1], s[0], s[1], p[0], p[1]);
            }
            case "global_pooling" -> new LayerOp.GlobalPooling(textOr(doc, l, "mode", what, "avg"));
            case "flatten" -> new LayerOp.Flatten();
            case "add" -> new LayerOp.Add();
            case "batchnorm" -> new LayerOp.BatchNorm(doc.integer(l, "features", what, in.features()));
            case "layernorm" -> new LayerOp.LayerNorm(doc.integer(l, "features", what, in.last()));
            case "activation" -> new LayerOp.Activation(doc.text(l, "function", what));
            case "embedding" -> new LayerOp.Embedding(doc.integer(l, "vocabulary", what), doc.integer(l, "width", what));
            case "attention" -> {
                int width = doc.integer(l, "in", what, in.last());
                int heads = doc.integer(l, "heads", what);
                if (heads <= 0) throw doc.error(l, what + ": heads must be positive");
                int headSize = doc.integer(l, "head_size", what, width / heads);
                yield new LayerOp.Attention(width, heads, headSize, doc.integer(l, "out", what, width), doc.bool(l, "bias", what, true));
            }
            default -> throw new IllegalStateException("OP_KEYS and LayerOp.TYPES disagree on " + op);
        };
    }

    private static String textOr(Yaml doc, JsonNode l, String key, String what, String fallback) {
        return l.has(key) ? doc.text(l, key, what) : fallback;
    }

    /** A size given as {@code 3} or {@code [3, 5]}. */
    private static int[] pair(Yaml doc, JsonNode l, String key, String what, int[] fallback) {
        JsonNode v = l.get(key);
        if (v == null) {
            if (fallback == null) throw doc.error(l, what + " needs '" + key + "'");
            return fallback;
        }
        if (v.isIntegralNumber()) return new int[]{v.asInt(), v.asInt()};
        if (v.isArray() && v.size() == 2 && v.get(0).isIntegralNumber() && v.get(1).isIntegralNumber()) {
            return new int[]{v.get(0).asInt(), v.get(1).asInt()};
        }
        throw doc.error(v, "'" + key + "' of " + what + " must be a whole number or [h, w], got " + v);
    }
}
