package dev.squeeze.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.data.SampleShape;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Loads and saves models: DL4J zips with the squeeze model card stored inside as {@value #CARD_ENTRY}.
 * Built-in names ({@link #BUILT_IN}) resolve to the models shipped in the jar.
 */
public final class ModelStore {
    public static final String CARD_ENTRY = "squeeze-card.json";
    public static final List<String> BUILT_IN = List.of("fashion-cnn", "fashion-attention", "fashion-resnet", "fashion-mobilenet");

    private ModelStore() {}

    /** The built-in models this build ships (a model not trained yet is named in {@link #BUILT_IN} but absent). */
    public static List<String> shipped() {
        return BUILT_IN.stream().filter(n -> ModelStore.class.getResource("/models/" + n + ".zip") != null).toList();
    }

    /**
     * Loads a built-in model by name, or a DL4J model zip by path. A zip without a squeeze card (a model squeeze did not
     * train) is read as a model of rows of features when its first layer is a dense one; other card-less models need
     * the data's shape, {@link #load(String, Supplier)}.
     */
    public static ModelHandle load(String nameOrPath) {
        return load(nameOrPath, () -> null);
    }

    /**
     * {@link #load(String)} for a command that has data: a zip without a squeeze card takes its input shape from
     * {@code samples}, the shape of the data's samples (asked for only then, so data loading may still be under way).
     */
    public static ModelHandle load(String nameOrPath, Supplier<SampleShape> samples) {
        if (BUILT_IN.contains(nameOrPath)) {
            return loadFile(builtInFile(nameOrPath), nameOrPath, "built-in:" + nameOrPath, samples);
        }
        Path p = Path.of(nameOrPath);
        if (!Files.isRegularFile(p)) {
            throw new SqueezeException("model '" + nameOrPath + "' is neither a file nor a built-in model: give a DL4J model zip or one of "
                    + String.join(", ", BUILT_IN));
        }
        String file = p.getFileName().toString();
        return loadFile(p, file.endsWith(".zip") ? file.substring(0, file.length() - 4) : file, p.toString(), samples);
    }

    /** SHA-256 of a model's bytes (built-in or file), for provenance and cache keys. */
    public static String sha256(String nameOrPath) {
        return dev.squeeze.ConfigFiles.sha256(bytes(nameOrPath));
    }

    /** The bytes a loaded model was read from (its zip file, or the built-in model's), e.g. to hand to another machine. */
    public static byte[] bytes(ModelHandle model) {
        String builtIn = "built-in:";
        return bytes(model.source().startsWith(builtIn) ? model.source().substring(builtIn.length()) : model.source());
    }

    private static byte[] bytes(String nameOrPath) {
        try {
            if (BUILT_IN.contains(nameOrPath)) {
                try (InputStream in = ModelStore.class.getResourceAsStream("/models/" + nameOrPath + ".zip")) {
                    if (in == null) throw new SqueezeException("built-in model '" + nameOrPath + "' is missing from this build");
                    return in.readAllBytes();
                }
            }
            return Files.readAllBytes(Path.of(nameOrPath));
        } catch (IOException e) {
            throw new SqueezeException("cannot read model " + nameOrPath + ": " + e.getMessage());
        }
    }

    /** The built-in model copied out of the jar once per JVM (DL4J restores from files). */
    private static Path builtInFile(String name) {
        String resource = "/models/" + name + ".zip";
        try (InputStream in = ModelStore.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new SqueezeException("built-in model '" + name + "' is missing from this build: run `./squeeze train --arch "
                        + Architecture.parse(name).label() + " --out src/main/resources/models/" + name + ".zip` and rebuild");
            }
            Path tmp = Files.createTempFile("squeeze-" + name + "-", ".zip");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException e) {
            throw new SqueezeException("cannot unpack built-in model '" + name + "': " + e.getMessage());
        }
    }

    private static ModelHandle loadFile(Path file, String name, String source, Supplier<SampleShape> samples) {
        ModelCard card;
        boolean graph;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry conf = zip.getEntry("configuration.json");
            if (conf == null) throw corrupt(source, "it has no configuration.json");
            JsonNode confJson = Json.json().readTree(zip.getInputStream(conf));
            graph = confJson.has("vertices");
            ZipEntry cardEntry = zip.getEntry(CARD_ENTRY);
            card = cardEntry == null ? null : Json.json().readValue(zip.getInputStream(cardEntry), ModelCard.class);
        } catch (IOException e) {
            throw corrupt(source, e.getMessage());
        }
        Model net;
        try {
            net = graph ? ModelSerializer.restoreComputationGraph(file.toFile(), false)
                    : ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false);
        } catch (Exception | Error e) {
            throw corrupt(source, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
        if (card != null) {
            LayerGraph layers = Dl4jGraphs.of(name, net, new TensorShape(card.inputShape()));
            return new ModelHandle(name, source, net, card, layers, InputEncoding.valueOf(card.encoding()));
        }
        TensorShape input = cardlessInput(net, source, samples);
        LayerGraph layers;
        try {
            layers = Dl4jGraphs.of(name, net, input);
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            throw new SqueezeException("model " + source + " (no " + CARD_ENTRY + ") does not read samples of shape " + input + ": "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + "; give it data of the shape it was trained on");
        }
        return new ModelHandle(name, source, net, null, layers, InputEncoding.IMAGE);
    }

    /**
     * The input of a model without a card: the data's sample shape, or, with no data, the width of a first dense layer.
     * The first weighted layer's input width is checked against it, so a mismatch is named before any work.
     */
    private static TensorShape cardlessInput(Model net, String source, Supplier<SampleShape> samples) {
        var first = Dl4jGraphs.firstWeighted(net);
        SampleShape data = samples.get();
        if (data == null) {
            if (first instanceof DenseLayer d) return TensorShape.of((int) d.getNIn());
            throw new SqueezeException("model " + source + " has no " + CARD_ENTRY + ", so its input shape is unknown: give the data it reads "
                    + "(--data; its samples' shape is used), or train it with `squeeze train`");
        }
        Long reads = first instanceof ConvolutionLayer c ? (Long) c.getNIn() : first instanceof DenseLayer d ? (Long) d.getNIn() : null;
        long given = first instanceof ConvolutionLayer && data.rank() == 3 ? data.dim(0) : data.size();
        if (reads != null && reads != given) {
            throw new SqueezeException("model " + source + " (no " + CARD_ENTRY + ") reads " + reads + (first instanceof ConvolutionLayer
                    ? " input channels" : " input features") + "; the data gives samples of shape " + data
                    + ": give it data of the shape it was trained on");
        }
        return new TensorShape(data.dims());
    }

    private static SqueezeException corrupt(String source, String why) {
        String oneLine = why == null ? "unreadable" : why.lines().findFirst().orElse("unreadable");
        return new SqueezeException("model " + source + " is not a readable DL4J model zip (" + oneLine
                + "): re-download or re-train it (`squeeze train --out FILE`)");
    }

    /** Writes the network (without updater state) and its card into {@code out}, and the card beside it. */
    public static void save(Model net, ModelCard card, Path out) {
        try {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            ModelSerializer.writeModel(net, out.toFile(), false);
            byte[] cardJson = Json.write(card).getBytes(StandardCharsets.UTF_8);
            try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + out.toAbsolutePath().toUri()), Map.of())) {
                Files.write(zip.getPath(CARD_ENTRY), cardJson);
            }
            Files.write(cardPath(out), cardJson);
        } catch (IOException e) {
            throw new SqueezeException("cannot write model to " + out + ": " + e.getMessage());
        }
    }

    /** {@code model.zip} -> {@code model.card.json}. */
    public static Path cardPath(Path model) {
        return besides(model, ".card.json");
    }

    /** A file beside a model zip, named like it: {@code model.zip} + {@code .x.json} -> {@code model.x.json}. */
    public static Path besides(Path model, String suffix) {
        String f = model.getFileName().toString();
        String base = f.endsWith(".zip") ? f.substring(0, f.length() - 4) : f;
        return model.resolveSibling(base + suffix);
    }
}
