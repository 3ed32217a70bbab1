package dev.squeeze.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;

/**
 * One layer entry of an architecture spec as an op's {@link OpType.SpecReader} reads it: typed values by key, with
 * errors naming the file, line and layer.
 *
 * @param in the shape the layer reads (its first input), from which input widths default
 */
public record SpecLayer(Yaml doc, JsonNode node, String what, TensorShape in) {

    public int integer(String key) {
        return doc.integer(node, key, what);
    }

    public int integer(String key, int fallback) {
        return doc.integer(node, key, what, fallback);
    }

    public boolean bool(String key, boolean fallback) {
        return doc.bool(node, key, what, fallback);
    }

    public String text(String key) {
        return doc.text(node, key, what);
    }

    public String text(String key, String fallback) {
        return node.has(key) ? doc.text(node, key, what) : fallback;
    }

    /** A size given as {@code 3} or {@code [3, 5]}; without a fallback the key is required. */
    public int[] pair(String key, int[] fallback) {
        JsonNode v = node.get(key);
        if (v == null) {
            if (fallback == null) throw doc.error(node, what + " needs '" + key + "'");
            return fallback;
        }
        if (v.isIntegralNumber()) return new int[]{v.asInt(), v.asInt()};
        if (v.isArray() && v.size() == 2 && v.get(0).isIntegralNumber() && v.get(1).isIntegralNumber()) {
            return new int[]{v.get(0).asInt(), v.get(1).asInt()};
        }
        throw doc.error(v, "'" + key + "' of " + what + " must be a whole number or [h, w], got " + v);
    }

    public SqueezeException error(String message) {
        return doc.error(node, what + ": " + message);
    }
}
