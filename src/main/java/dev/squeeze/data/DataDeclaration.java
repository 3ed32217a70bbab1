package dev.squeeze.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A data file, {@code squeeze-data/v1}: what the data is and how a model reads it. Paths are relative to the file's
 * folder. Every key is checked: an unknown one is a one-line error naming the file, the line, the key and the valid
 * keys. (docs/ARCHITECTURE.md, "A data source", shows a complete file.)
 *
 * <pre>
 * schema: squeeze-data/v1
 * format: image-folder        # image-folder | csv | npy | idx | fashion-mnist
 * train: data/train           # a path, or {features: PATH, labels: PATH} (npy, idx)
 * test: data/test
 * calibration: {from: train, count: 2000, seed: 42}   # or its own path
 * input: {shape: [3, 32, 32], scale: 0.00392156862745098, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resize: pad}
 * labels: folders             # folders | {column: label} | {file: labels.npy} | none
 * skip_bad: false             # true: leave out unreadable images (counted, listed by squeeze inspect --data)
 * </pre>
 */
public record DataDeclaration(Path file, String sha256, DataFormat format, SplitRef train, SplitRef test, SplitRef calibration,
                              Dataset.Draw draw, Input input, Labels labels, boolean skipBad) {
    public static final String SCHEMA = "squeeze-data/v1";
    private static final List<String> TOP_KEYS = List.of("schema", "format", "train", "test", "calibration", "input", "labels", "skip_bad");
    private static final List<String> INPUT_KEYS = List.of("shape", "scale", "mean", "std", "resize");
    private static final List<String> CALIBRATION_KEYS = List.of("from", "count", "seed");
    private static final List<String> SPLIT_KEYS = List.of("features", "labels");

    /** One split: its data and, for npy and idx, its own labels file (null: from {@code labels:}). */
    public record SplitRef(Path path, Path labels) {}

    /** What to do with an image of another size than {@code input.shape}. */
    public enum Resize {
        /** Centre it on a black background, shrunk first (keeping its aspect) when larger. */
        PAD,
        /** Resample it to the shape, aspect ignored. */
        STRETCH,
        /** Refuse it (the default): a one-line error naming the file. */
        ERROR
    }

    /**
     * {@code input:}; each field null when not given (the format's default: the stored shape, scale 1/255 for
     * bytes and 1 for floats, mean 0, std 1).
     */
    public record Input(SampleShape shape, Double scale, List<Double> mean, List<Double> std, Resize resize) {
        public static final Input DEFAULT = new Input(null, null, null, null, Resize.ERROR);

        /** The scaling of values stored as {@code bytes} or floats. */
        public Scaling scaling(boolean bytes) {
            return new Scaling(scale != null ? scale : bytes ? 1 / 255.0 : 1, mean != null ? mean : List.of(0.0), std != null ? std : List.of(1.0));
        }
    }

    /** {@code labels:}: class subfolders, a CSV column (a header name, or a 0-based index), a file, or none. */
    public sealed interface Labels {
        record Folders() implements Labels {}

        record Column(String name) implements Labels {}

        record File(String name) implements Labels {}

        record None() implements Labels {}

        /** npy and idx: each split names its labels file ({@code {features: PATH, labels: PATH}}). */
        record PerSplit() implements Labels {}
    }

    public static DataDeclaration read(Path file) {
        byte[] bytes;
        try {
            bytes = java.nio.file.Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new SqueezeException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(Yaml.read(file.toString(), new java.io.ByteArrayInputStream(bytes)), file, dev.squeeze.ConfigFiles.sha256(bytes));
    }

    /** Whether {@code file} looks like a data file (by its name: {@code .yaml} or {@code .yml}). */
    static boolean isDataFile(Path file) {
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".yaml") || n.endsWith(".yml");
    }

    static DataDeclaration parse(Yaml doc, Path file, String sha256) {
        JsonNode root = doc.root();
        String what = "the data file";
        doc.checkKeys(root, what, TOP_KEYS);
        doc.checkSchema(root, what, SCHEMA);
        String formatName = doc.text(root, "format", what);
        DataFormat format = DataFormat.of(formatName);
        if (format == null) {
            String close = Yaml.closest(formatName, DataFormat.labels());
            throw doc.error(root.get("format"), "unknown format '" + formatName + "'" + (close != null ? " (did you mean '" + close + "'?)" : "")
                    + "; formats: " + String.join(", ", DataFormat.labels()));
        }
        Path base = file.toAbsolutePath().getParent();
        SplitRef train = split(doc, root, "train", base);
        SplitRef test = split(doc, root, "test", base);
        if (train == null && test == null && format != DataFormat.FASHION_MNIST) {
            throw doc.error(root, what + " needs 'train' or 'test' (or both): the path of each split's data");
        }
        SplitRef calibration = null;
        Dataset.Draw draw = Dataset.Draw.COMMAND;
        JsonNode c = root.get("calibration");
        if (c != null && c.isTextual()) {
            calibration = new SplitRef(base.resolve(c.asText()), null);
        } else if (c != null) {
            doc.checkKeys(c, "calibration", CALIBRATION_KEYS);
            if (c.has("from") && !"train".equals(c.get("from").asText())) {
                throw doc.error(c.get("from"), "calibration 'from' can only be 'train'; for other images give calibration its own path");
            }
            Integer count = c.has("count") ? doc.integer(c, "count", "calibration") : null;
            if (count != null && count <= 0) throw doc.error(c.get("count"), "calibration count must be positive, got " + count);
            Long seed = c.has("seed") ? (long) doc.integer(c, "seed", "calibration") : null;
            draw = new Dataset.Draw(count, seed);
        }
        Input input = input(doc, root.get("input"));
        Labels labels = labels(doc, root.get("labels"), format, bothHaveLabels(train, test));
        boolean skipBad = doc.bool(root, "skip_bad", what, false);
        checkFit(doc, root, format, labels, input, train, test);
        return new DataDeclaration(file, sha256, format, train, test, calibration, draw, input, labels, skipBad);
    }

    private static SplitRef split(Yaml doc, JsonNode root, String key, Path base) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return null;
        if (v.isTextual()) return new SplitRef(base.resolve(v.asText()), null);
        doc.checkKeys(v, "'" + key + "'", SPLIT_KEYS);
        return new SplitRef(base.resolve(doc.text(v, "features", "'" + key + "'")), base.resolve(doc.text(v, "labels", "'" + key + "'")));
    }

    private static Input input(Yaml doc, JsonNode in) {
        if (in == null) return Input.DEFAULT;
        doc.checkKeys(in, "input", INPUT_KEYS);
        SampleShape shape = null;
        if (in.has("shape")) {
            JsonNode s = in.get("shape");
            if (!s.isArray() || s.isEmpty()) throw doc.error(s, "input shape must be a list of sizes, such as [3, 32, 32] or [784]");
            int[] dims = new int[s.size()];
            for (int i = 0; i < dims.length; i++) {
                if (!s.get(i).isIntegralNumber() || s.get(i).asInt() <= 0) throw doc.error(s, "input shape sizes must be positive whole numbers, got " + s);
                dims[i] = s.get(i).asInt();
            }
            shape = SampleShape.of(dims);
        }
        Double scale = null;
        if (in.has("scale")) {
            JsonNode s = in.get("scale");
            if (!s.isNumber() || s.asDouble() == 0 || !Double.isFinite(s.asDouble())) throw doc.error(s, "input scale must be a number other than 0, got " + s);
            scale = s.asDouble();
        }
        List<Double> mean = numbers(doc, in.get("mean"), "mean", false);
        List<Double> std = numbers(doc, in.get("std"), "std", true);
        Resize resize = Resize.ERROR;
        if (in.has("resize")) {
            String r = doc.text(in, "resize", "input");
            resize = switch (r) {
                case "pad" -> Resize.PAD;
                case "stretch" -> Resize.STRETCH;
                case "error" -> Resize.ERROR;
                default -> throw doc.error(in.get("resize"), "input resize is '" + r + "'; use pad, stretch or error");
            };
        }
        if (shape != null) {
            for (var list : java.util.Arrays.asList(mean, std)) {
                if (list != null && list.size() != 1 && list.size() != shape.channels()) {
                    throw doc.error(in, "input mean and std need one value or one per channel (" + shape.channels() + " for shape " + shape + "), got " + list);
                }
            }
        }
        return new Input(shape, scale, mean, std, resize);
    }

    private static List<Double> numbers(Yaml doc, JsonNode v, String key, boolean positive) {
        if (v == null) return null;
        var out = new ArrayList<Double>();
        for (JsonNode n : v.isArray() ? v : List.of(v)) {
            if (!n.isNumber() || (positive && !(n.asDouble() > 0))) {
                throw doc.error(v, "input " + key + " must be " + (positive ? "a positive number" : "a number") + " or a list of them (one per channel), got " + v);
            }
            out.add(n.asDouble());
        }
        if (out.isEmpty()) throw doc.error(v, "input " + key + " is an empty list: give one value, or one per channel");
        return out;
    }

    private static Labels labels(Yaml doc, JsonNode v, DataFormat format, boolean perSplit) {
        if (v == null) {
            if (format == DataFormat.IMAGE_FOLDER || format == DataFormat.FASHION_MNIST) return new Labels.Folders();
            if ((format == DataFormat.NPY || format == DataFormat.IDX) && perSplit) return new Labels.PerSplit();
            throw new SqueezeException(doc.file() + ": a " + format.label() + " data file needs 'labels': "
                    + (format == DataFormat.CSV ? "{column: NAME}" : "{file: FILE}") + ", or none for data without labels");
        }
        if (v.isTextual()) {
            return switch (v.asText()) {
                case "folders" -> new Labels.Folders();
                case "none" -> new Labels.None();
                default -> throw doc.error(v, "labels is '" + v.asText() + "'; use folders, none, {column: NAME} or {file: FILE}");
            };
        }
        doc.checkKeys(v, "labels", List.of("column", "file"));
        if (v.size() != 1) throw doc.error(v, "labels takes one of column or file, not both");
        if (v.has("column")) {
            JsonNode col = v.get("column");
            if (!col.isTextual() && !col.isIntegralNumber()) throw doc.error(col, "labels column must be a header name or a 0-based index, got " + col);
            return new Labels.Column(col.asText());
        }
        return new Labels.File(doc.text(v, "file", "labels"));
    }

    /** Which label kinds and settings each format can use. */
    private static void checkFit(Yaml doc, JsonNode root, DataFormat format, Labels labels, Input input, SplitRef train, SplitRef test) {
        boolean ok = switch (format) {
            case IMAGE_FOLDER -> labels instanceof Labels.Folders || labels instanceof Labels.None;
            case CSV -> labels instanceof Labels.Column || labels instanceof Labels.None;
            case NPY, IDX -> labels instanceof Labels.File || labels instanceof Labels.None || labels instanceof Labels.PerSplit;
            case FASHION_MNIST -> labels instanceof Labels.Folders;
        };
        if (!ok) {
            String valid = switch (format) {
                case IMAGE_FOLDER -> "folders or none";
                case CSV -> "{column: NAME} or none";
                case NPY, IDX -> "{file: FILE}, none, or {features: PATH, labels: PATH} for each split";
                case FASHION_MNIST -> "left out (the files hold them)";
            };
            throw doc.error(root.has("labels") ? root.get("labels") : root, "labels for " + format.label() + " data: " + valid);
        }
        for (SplitRef s : new SplitRef[]{train, test}) {
            if (s != null && s.labels() != null && format != DataFormat.NPY && format != DataFormat.IDX) {
                throw doc.error(root, "{features, labels} splits are for npy and idx data; " + format.label() + " splits are one path each");
            }
        }
        if (format == DataFormat.FASHION_MNIST && input.shape() != null && !input.shape().equals(FashionMnist.SHAPE)) {
            throw doc.error(root.get("input"), "Fashion-MNIST images are " + FashionMnist.SHAPE + "; drop input shape or give that");
        }
        if (input.resize() != Resize.ERROR && format != DataFormat.IMAGE_FOLDER) {
            throw doc.error(root.get("input"), "input resize applies to image folders only; drop it for " + format.label() + " data");
        }
    }

    private static boolean bothHaveLabels(SplitRef train, SplitRef test) {
        return (train != null || test != null) && (train == null || train.labels() != null) && (test == null || test.labels() != null);
    }
}
