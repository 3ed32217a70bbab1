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
            OpType type = Ops.named(op).orElseThrow(() -> {
                String close = Yaml.closest(op, Ops.names());
                return doc.error(layer.get("op"), what + " has unknown op '" + op + "'"
                        + (close != null ? " (did you mean '" + close + "'?)" : "") + "; known ops: " + String.join(", ", new TreeSet<>(Ops.names())));
            });
            var allowed = new TreeSet<>(COMMON);
            allowed.addAll(type.specKeys());
            doc.checkKeys(layer, what, allowed);
            List<String> inputs = new ArrayList<>();
            if (layer.has("inputs")) {
                for (JsonNode i : layer.get("inputs")) inputs.add(i.asText());
            } else {
                inputs.add(previous);
            }
            try {
                TensorShape in = b.shapeOf(inputs.get(0));
                b.add(layerName, type.spec().read(new SpecLayer(doc, layer, what, in)), inputs);
            } catch (IllegalArgumentException e) {
                throw doc.error(layer, e.getMessage());
            }
            previous = layerName;
        }
        return b.build();
    }
}
