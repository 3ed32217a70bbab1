package dev.squeeze.hardware;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Reads and checks hardware profiles ({@code squeeze-hardware/v1}). A device name resolves to
 * {@code hardware-profiles/NAME.yaml} in the working directory (so a calibrated {@code local-cpu} and local
 * edits win), else to the copy built into the jar; a path to a YAML file works too.
 */
public final class Profiles {
    public static final String SCHEMA = "squeeze-hardware/v1";
    public static final String FOLDER = "hardware-profiles";
    /** The profiles shipped in the jar. */
    public static final List<String> BUILT_IN = List.of("raspberry-pi-4", "raspberry-pi-5", "jetson-orin-nano",
            "jetson-agx-orin", "coral-edge-tpu", "nvidia-t4", "nvidia-h100", "xeon-sapphire-rapids");

    static final List<String> KEYS = List.of("schema", "name", "description", "formats", "efficiency", "memory_bandwidth",
            "kernel_overhead", "on_chip_memory", "on_chip_bandwidth", "memory_capacity", "static_power", "energy_per_dram_byte_pj",
            "compute_units", "tile", "weight_bits", "activation_bits", "activations_on_chip", "measured");
    static final List<String> FORMAT_KEYS = List.of("peak_ops", "energy_per_mac_pj", "align", "kernel_overhead", "row_overhead");

    private Profiles() {}

    /** Loads a device by name (local folder, then built-in) or a profile file by path. */
    public static HardwareProfile load(String nameOrPath) {
        Path local = Path.of(FOLDER, nameOrPath + ".yaml");
        if (!nameOrPath.contains("/") && Files.isRegularFile(local)) return parse(Yaml.read(local));
        if (BUILT_IN.contains(nameOrPath)) {
            try (InputStream in = Profiles.class.getResourceAsStream("/" + FOLDER + "/" + nameOrPath + ".yaml")) {
                if (in == null) throw new SqueezeException("built-in profile '" + nameOrPath + "' is missing from this build: rebuild squeeze");
                return parse(Yaml.read("built-in profile " + nameOrPath, in));
            } catch (IOException e) {
                throw new SqueezeException("cannot read built-in profile '" + nameOrPath + "': " + e.getMessage());
            }
        }
        Path p = Path.of(nameOrPath);
        if (Files.isRegularFile(p)) return parse(Yaml.read(p));
        List<String> known = known();
        String close = Yaml.closest(nameOrPath, known);
        throw new SqueezeException("unknown device '" + nameOrPath + "'" + (close != null ? " (did you mean '" + close + "'?)" : "")
                + "; known devices: " + String.join(", ", known) + " (or give a profile YAML file)");
    }

    /** A profile's text as stored, comments (the sources of its figures) included. */
    public static String text(String nameOrPath) {
        HardwareProfile p = load(nameOrPath);
        String source = p.source();
        if (source.startsWith("built-in profile ")) {
            try (InputStream in = Profiles.class.getResourceAsStream("/" + FOLDER + "/" + nameOrPath + ".yaml")) {
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SqueezeException("cannot read built-in profile '" + nameOrPath + "': " + e.getMessage());
            }
        }
        try {
            return Files.readString(Path.of(source));
        } catch (IOException e) {
            throw new SqueezeException(source + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** SHA-256 of a profile's text, for the provenance of results costed with it. */
    public static String sha256(String nameOrPath) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text(nameOrPath).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Whether {@link #load} finds a profile of that name or path (e.g. a calibrated {@code local-cpu}). */
    public static boolean exists(String nameOrPath) {
        return known().contains(nameOrPath) || (nameOrPath.endsWith(".yaml") && Files.isRegularFile(Path.of(nameOrPath)));
    }

    /** Built-in device names plus profiles in the working directory's {@code hardware-profiles/}. */
    public static List<String> known() {
        var names = new TreeSet<>(BUILT_IN);
        Path dir = Path.of(FOLDER);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml"))
                        .forEach(f -> names.add(f.substring(0, f.length() - 5)));
            } catch (IOException e) {
                throw new SqueezeException(dir + ": cannot list (" + e.getMessage() + ")");
            }
        }
        return List.copyOf(names);
    }

    static HardwareProfile parse(Yaml doc) {
        JsonNode root = doc.root();
        String what = "the profile";
        doc.checkKeys(root, what, KEYS);
        doc.checkSchema(root, what, SCHEMA);
        String name = doc.text(root, "name", what);
        String description = root.has("description") ? doc.text(root, "description", what) : "";

        JsonNode fs = doc.required(root, "formats", what);
        doc.checkKeys(fs, "formats", Format.keys());
        if (fs.isEmpty()) throw doc.error(fs, "'formats' must list at least one format (" + String.join(", ", Format.keys()) + ")");
        Map<Format, HardwareProfile.FormatSpec> formats = new EnumMap<>(Format.class);
        double kernelOverhead = nonNegative(doc, root, "kernel_overhead", what);
        for (var it = fs.fields(); it.hasNext(); ) {
            var e = it.next();
            String fw = "format '" + e.getKey() + "'";
            doc.checkKeys(e.getValue(), fw, FORMAT_KEYS);
            formats.put(Format.of(e.getKey()), new HardwareProfile.FormatSpec(
                    positive(doc, e.getValue(), "peak_ops", fw), positive(doc, e.getValue(), "energy_per_mac_pj", fw),
                    positiveInt(doc, e.getValue(), "align", fw),
                    e.getValue().has("kernel_overhead") ? nonNegative(doc, e.getValue(), "kernel_overhead", fw) : kernelOverhead,
                    e.getValue().has("row_overhead") ? nonNegative(doc, e.getValue(), "row_overhead", fw) : 0));
        }
        double efficiency = positive(doc, root, "efficiency", what);
        if (efficiency > 1) throw doc.error(root.get("efficiency"), "'efficiency' is a fraction of peak: give a value in (0, 1], got " + efficiency);
        JsonNode tile = doc.required(root, "tile", what);
        if (!tile.isArray() || tile.size() != 2 || !tile.get(0).canConvertToInt() || tile.get(0).asInt() <= 0
                || !tile.get(1).canConvertToInt() || tile.get(1).asInt() <= 0) {
            throw doc.error(tile, "'tile' must be [rows, columns], two positive whole numbers, got " + tile);
        }
        return new HardwareProfile(name, description, doc.file(), formats, efficiency,
                positive(doc, root, "memory_bandwidth", what), kernelOverhead,
                nonNegative(doc, root, "on_chip_memory", what),
                root.has("on_chip_bandwidth") ? nonNegative(doc, root, "on_chip_bandwidth", what) : 0,
                positive(doc, root, "memory_capacity", what),
                nonNegative(doc, root, "static_power", what), nonNegative(doc, root, "energy_per_dram_byte_pj", what),
                positiveInt(doc, root, "compute_units", what), tile.get(0).asInt(), tile.get(1).asInt(),
                bits(doc, root, "weight_bits"), bits(doc, root, "activation_bits"),
                doc.bool(root, "activations_on_chip", what, false));
    }

    /** A number; YAML 1.1 reads {@code 65e12} (no dot) as text, so numeric text is accepted too. */
    static double number(Yaml doc, JsonNode object, String key, String what) {
        JsonNode v = doc.required(object, key, what);
        if (v.isNumber()) return v.asDouble();
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText().replace("_", ""));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw doc.error(v, "'" + key + "' of " + what + " must be a number, got " + v);
    }

    private static double positive(Yaml doc, JsonNode object, String key, String what) {
        double x = number(doc, object, key, what);
        if (!(x > 0) || Double.isInfinite(x)) {
            throw doc.error(object.get(key), "'" + key + "' of " + what + " must be positive, got " + object.get(key).asText()
                    + ": a device cannot run at zero or negative " + key.replace('_', ' '));
        }
        return x;
    }

    private static double nonNegative(Yaml doc, JsonNode object, String key, String what) {
        double x = number(doc, object, key, what);
        if (!(x >= 0) || Double.isInfinite(x)) throw doc.error(object.get(key), "'" + key + "' of " + what + " must be >= 0, got " + x);
        return x;
    }

    private static int positiveInt(Yaml doc, JsonNode object, String key, String what) {
        int x = doc.integer(object, key, what);
        if (x <= 0) throw doc.error(object.get(key), "'" + key + "' of " + what + " must be a positive whole number, got " + x);
        return x;
    }

    private static java.util.Set<Integer> bits(Yaml doc, JsonNode root, String key) {
        JsonNode v = doc.required(root, key, "the profile");
        if (!v.isArray() || v.isEmpty()) throw doc.error(v, "'" + key + "' must be a non-empty list of bit-widths (2..8, 16, 32)");
        var out = new TreeSet<Integer>();
        for (JsonNode b : v) {
            int bits = b.asInt();
            if (!b.isIntegralNumber() || !dev.squeeze.model.CompressionPlan.VALID_BITS.contains(bits)) {
                throw doc.error(b, "'" + key + "' holds " + b + "; bit-widths are 2..8, 16 (fp16) or 32");
            }
            out.add(bits);
        }
        return out;
    }
}
