package dev.squeeze;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A YAML document read into a Jackson tree that remembers the line of every node, so that
 * configuration errors can name the file, the line and the fix. Also holds the checks every loader
 * needs: unknown keys (with the closest valid key), required fields, types.
 */
public final class Yaml {
    private static final YAMLFactory FACTORY = new YAMLFactory();
    private final String file;
    private final JsonNode root;
    private final Map<JsonNode, Integer> lines;

    private Yaml(String file, JsonNode root, Map<JsonNode, Integer> lines) {
        this.file = file;
        this.root = root;
        this.lines = lines;
    }

    public static Yaml read(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return read(path.toString(), in);
        } catch (NoSuchFileException e) {
            throw new SqueezeException(path + ": no such file");
        } catch (IOException e) {
            throw new SqueezeException(path + ": cannot read (" + e.getMessage() + ")");
        }
    }

    public static Yaml read(String name, InputStream in) {
        Map<JsonNode, Integer> lines = new IdentityHashMap<>();
        try (JsonParser p = FACTORY.createParser(in)) {
            JsonToken t = p.nextToken();
            if (t == null) throw new SqueezeException(name + ": the file is empty");
            JsonNode root = node(name, p, lines);
            return new Yaml(name, root, lines);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : ":" + loc.getLineNr();
            throw new SqueezeException(name + where + ": malformed YAML (" + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
        } catch (IOException e) {
            throw new SqueezeException(name + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static JsonNode node(String name, JsonParser p, Map<JsonNode, Integer> lines) throws IOException {
        int line = p.currentTokenLocation().getLineNr();
        JsonNodeFactory f = JsonNodeFactory.instance;
        JsonNode n = switch (p.currentToken()) {
            case START_OBJECT -> {
                ObjectNode o = f.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    if (o.has(key)) {
                        throw new SqueezeException(name + ":" + p.currentTokenLocation().getLineNr() + ": key '" + key + "' appears twice");
                    }
                    o.set(key, node(name, p, lines));
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = f.arrayNode();
                while (p.nextToken() != JsonToken.END_ARRAY) a.add(node(name, p, lines));
                yield a;
            }
            case VALUE_STRING -> f.textNode(p.getText());
            case VALUE_NUMBER_INT -> f.numberNode(p.getLongValue());
            case VALUE_NUMBER_FLOAT -> f.numberNode(p.getDoubleValue());
            case VALUE_TRUE -> f.booleanNode(true);
            case VALUE_FALSE -> f.booleanNode(false);
            case VALUE_NULL -> f.nullNode();
            default -> throw new SqueezeException(name + ":" + line + ": unexpected " + p.currentToken());
        };
        lines.put(n, line);
        return n;
    }

    public String file() {
        return file;
    }

    public JsonNode root() {
        return root;
    }

    /** {@code file:line} of a node (just the file when unknown). */
    public String at(JsonNode n) {
        Integer line = lines.get(n);
        return line == null ? file : file + ":" + line;
    }

    /** An error that names where the node is. */
    public SqueezeException error(JsonNode n, String message) {
        return new SqueezeException(at(n) + ": " + message);
    }

    /** Requires {@code object}'s {@code schema} to be {@code expected}: every squeeze file names the format it is written in. */
    public void checkSchema(JsonNode object, String what, String expected) {
        String schema = text(object, "schema", what);
        if (!schema.equals(expected)) throw error(object.get("schema"), "schema is '" + schema + "'; this squeeze reads " + expected);
    }

    /** Rejects keys outside {@code allowed}, suggesting the closest valid one. */
    public void checkKeys(JsonNode object, String what, Collection<String> allowed) {
        if (!object.isObject()) throw error(object, what + " must be a mapping");
        for (var it = object.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                String close = closest(key, allowed);
                throw error(object.get(key), "unknown key '" + key + "' in " + what
                        + (close != null ? " (did you mean '" + close + "'?)" : "") + "; valid keys: " + String.join(", ", allowed));
            }
        }
    }

    public JsonNode required(JsonNode object, String key, String what) {
        JsonNode v = object.get(key);
        if (v == null || v.isNull()) throw error(object, what + " needs '" + key + "'");
        return v;
    }

    public String text(JsonNode object, String key, String what) {
        JsonNode v = required(object, key, what);
        if (!v.isTextual()) throw error(v, "'" + key + "' of " + what + " must be text, got " + v);
        return v.asText();
    }

    public int integer(JsonNode object, String key, String what) {
        JsonNode v = required(object, key, what);
        if (!v.isIntegralNumber()) throw error(v, "'" + key + "' of " + what + " must be a whole number, got " + v);
        return v.asInt();
    }

    public int integer(JsonNode object, String key, String what, int fallback) {
        return object.has(key) ? integer(object, key, what) : fallback;
    }

    public boolean bool(JsonNode object, String key, String what, boolean fallback) {
        if (!object.has(key)) return fallback;
        JsonNode v = object.get(key);
        if (!v.isBoolean()) throw error(v, "'" + key + "' of " + what + " must be true or false, got " + v);
        return v.asBoolean();
    }

    /** The valid word closest to {@code word} by edit distance, or null when nothing is close. */
    public static String closest(String word, Collection<String> valid) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String v : valid) {
            int d = editDistance(word, v);
            if (d < bestDistance) {
                bestDistance = d;
                best = v;
            }
        }
        return bestDistance <= Math.max(2, word.length() / 2) ? best : null;
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
