package dev.squeeze.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    @TempDir
    Path dir;

    /** Exit code, standard output and standard error of one squeeze invocation. */
    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return Json.json().readTree(out);
        }
    }

    static Run squeeze(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    static void assertOneLineError(Run r, String... fragments) {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line expected: " + r.err());
        for (String f : fragments) assertTrue(r.err().contains(f), "missing '" + f + "' in: " + r.err());
    }

    @Test
    void helpListsSubcommands() {
        Run r = squeeze("--help");
        assertEquals(0, r.code());
        for (String c : new String[]{"train", "inspect"}) assertTrue(r.out().contains(c), r.out());
    }

    /**
     * Every command's help formats cleanly: a bare '%' in a description makes picocli print its text unformatted,
     * with a warning on the JVM's standard error (export's "99.5% of predictions" did).
     */
    @Test
    void everyCommandsHelpFormatsWithoutWarnings() {
        var captured = new java.io.ByteArrayOutputStream();
        var original = System.err;
        var commands = new java.util.ArrayList<picocli.CommandLine>();
        var pending = new java.util.ArrayDeque<picocli.CommandLine>(java.util.List.of(Main.commandLine()));
        try {
            System.setErr(new java.io.PrintStream(captured, true));
            while (!pending.isEmpty()) {
                picocli.CommandLine c = pending.pop();
                commands.add(c);
                pending.addAll(c.getSubcommands().values());
                c.getUsageMessage();
            }
        } finally {
            System.setErr(original);
        }
        assertTrue(commands.size() > 10, "commands walked: " + commands.size());
        assertEquals("", captured.toString(), "picocli printed while formatting help");
    }

    @Test
    void inspectShippedModelsAsJsonWithCards() throws Exception {
        JsonNode cnn = squeeze("inspect", "--model", "fashion-cnn", "--json").json();
        assertEquals(cnn.get("params").asLong(), sum(cnn, "params"));
        assertEquals(cnn.get("macs").asLong(), sum(cnn, "macs"));
        assertTrue(cnn.at("/card/test_accuracy").asDouble() >= 0.91, "fashion-cnn card: " + cnn.get("card"));
        assertTrue(cnn.at("/card/command").asText().startsWith("squeeze train --arch cnn"));
        JsonNode layer = cnn.get("layers").get(0);
        for (String key : new String[]{"name", "type", "params", "macs", "prunable_units"}) assertTrue(layer.has(key), key);
        JsonNode att = squeeze("inspect", "--model", "fashion-attention", "--json").json();
        assertTrue(att.at("/card/test_accuracy").asDouble() >= 0.85, "fashion-attention card: " + att.get("card"));

        // issue 15's targets for the graph baselines, on the 10k test split, and the residual groups listed by their adds
        JsonNode resnet = squeeze("inspect", "--model", "fashion-resnet", "--json").json();
        assertTrue(resnet.at("/card/test_accuracy").asDouble() >= 0.935, "fashion-resnet card: " + resnet.get("card"));
        assertEquals(10_000, resnet.at("/card/test_examples").asInt(), resnet.get("card").toString());
        assertTrue(resnet.at("/card/command").asText().startsWith("squeeze train --arch resnet"));
        var adds = new java.util.ArrayList<String>();
        resnet.get("groups").forEach(g -> g.get("residual_adds").forEach(a -> adds.add(a.asText())));
        assertEquals(List.of("stage1.add", "stage2.add", "stage3.add"), adds);
        JsonNode mobilenet = squeeze("inspect", "--model", "fashion-mobilenet", "--json").json();
        assertTrue(mobilenet.at("/card/test_accuracy").asDouble() >= 0.92, "fashion-mobilenet card: " + mobilenet.get("card"));
        assertEquals(10_000, mobilenet.at("/card/test_examples").asInt(), mobilenet.get("card").toString());
        assertTrue(mobilenet.at("/card/command").asText().startsWith("squeeze train --arch mobilenet"));
    }

    @Test
    void inspectSpecTable() {
        Run r = squeeze("inspect", "--spec", "resnet18");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("11,689,512 params"), r.out());
    }

    @Test
    void corruptModelZipIsOneLineError() throws Exception {
        Path zip = dir.resolve("broken.zip");
        Files.write(zip, new byte[]{'P', 'K', 3, 4, 1, 2, 3});
        assertOneLineError(squeeze("inspect", "--model", zip.toString()), zip.toString(), "not a readable DL4J model zip");
        Path missing = dir.resolve("missing.zip");
        assertOneLineError(squeeze("inspect", "--model", missing.toString()), "fashion-cnn");
    }

    @Test
    void badSpecIsOneLineError() throws Exception {
        Path spec = dir.resolve("s.yaml");
        Files.writeString(spec, "schema: squeeze-arch/v1\nname: s\ninput: {shape: [4]}\nlayers:\n  - {name: x, op: lstm}\n");
        assertOneLineError(squeeze("inspect", "--spec", spec.toString()), spec + ":5", "unknown op 'lstm'");
        Files.writeString(spec, "schema: squeeze-arch/v1\nname: s\ninput: {shape: [4]\nlayers: [\n");
        assertOneLineError(squeeze("inspect", "--spec", spec.toString()), spec.toString(), "malformed YAML");
    }

    /** A train/ + test/ folder of tiny grey PNGs, classes "a" and "b" (level 10 * i + class). */
    private Path imageFolder() throws Exception {
        Path data = dir.resolve("imgs");
        for (String split : new String[]{"train", "test"}) {
            for (int c = 0; c < 2; c++) {
                for (int i = 0; i < 3; i++) {
                    var img = new java.awt.image.BufferedImage(4, 4, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
                    img.getRaster().setSample(1, 1, 0, 10 * i + c + 200);
                    Path f = Files.createDirectories(data.resolve(split).resolve(c == 0 ? "a" : "b")).resolve(i + ".png");
                    javax.imageio.ImageIO.write(img, "png", f.toFile());
                }
            }
        }
        return data;
    }

    @Test
    void inspectDataPrintsFormatCountsClassesRangeAndSkipped() throws Exception {
        Path data = imageFolder();
        Run r = squeeze("inspect", "--data", data.toString());
        assertEquals(0, r.code(), r.err());
        for (String s : new String[]{"image-folder data", "[1, 4, 4] uint8", "classes: 2 (a, b)", "train", "test", "skipped: nothing", "commands cut it"}) {
            assertTrue(r.out().contains(s), "'" + s + "' in:\n" + r.out());
        }
        Files.write(data.resolve("train/b/broken.png"), new byte[]{1, 2, 3});
        assertOneLineError(squeeze("inspect", "--data", data.toString()), data.resolve("train/b/broken.png").toString(), "--skip-bad");
        JsonNode j = squeeze("inspect", "--data", data.toString(), "--skip-bad", "--json").json();
        assertEquals("image-folder", j.get("format").asText());
        assertEquals(1, j.get("skipped").size());
        assertEquals(3, j.get("splits").get(0).get("per_class").get(0).asInt());
        assertEquals(3, j.get("splits").get(0).get("per_class").get(1).asInt(), "the broken image is left out, not counted");
        assertEquals(221 / 255.0, j.get("splits").get(0).get("max").asDouble(), 1e-6, "the largest level, scaled by 1/255");
        assertEquals(0.0, j.get("splits").get(0).get("min").asDouble(), 0);
        assertEquals(2, squeeze("inspect").code(), "one of --model, --spec or --data");
    }

    @Test
    void trainBuildsTheArchitectureForTheDataAndModelsRefuseDataOfAnotherShape() throws Exception {
        Path data = imageFolder();
        Path model = dir.resolve("m.zip");
        Run trained = squeeze("train", "--arch", "cnn", "--epochs", "1", "--data", data.toString(), "--out", model.toString());
        assertEquals(0, trained.code(), trained.err());
        JsonNode card = squeeze("inspect", "--model", model.toString(), "--json").json().get("card");
        assertEquals("cnn-1x4x4-2", card.get("name").asText(), "named by architecture and signature, not as the shipped model");
        assertEquals("[1,4,4]", card.get("input_shape").toString());
        assertEquals(2, dev.squeeze.model.ModelStore.load(model.toString()).signature().classes());

        assertOneLineError(squeeze("train", "--arch", "attention", "--epochs", "1", "--data", data.toString(), "--out", dir.resolve("a.zip").toString()),
                "attention reads [1, 28, 28] grey images", "[1, 4, 4] and 2 classes");
        assertTrue(!Files.exists(dir.resolve("a.zip")));
        // a model of another signature is refused before any work, naming both and the data's split
        assertOneLineError(squeeze("apply", "--model", "fashion-cnn", "--uniform", "w8a8", "--data", data.toString()),
                "model expects [1, 28, 28] and 10 classes; data gives [1, 4, 4] and 2 classes", data.resolve("test").toString());
    }

    @Test
    void badDataFileIsOneLineError() throws Exception {
        Path file = dir.resolve("data.yaml");
        Files.writeString(file, "schema: squeeze-data/v1\nformat: image-folder\ntest: imgs\nshape: [1, 4, 4]\n");
        assertOneLineError(squeeze("inspect", "--data", file.toString()), file + ":4", "unknown key 'shape'", "valid keys");
    }

    @Test
    void missingDataDirectoryIsOneLineError() {
        Path missing = dir.resolve("no-data");
        assertOneLineError(squeeze("train", "--arch", "cnn", "--epochs", "1", "--data", missing.toString(),
                "--out", dir.resolve("m.zip").toString()), missing.toString(), "dataset-fashion-mnist");
    }

    private static long sum(JsonNode report, String key) {
        long s = 0;
        for (JsonNode l : report.get("layers")) s += l.get(key).asLong();
        return s;
    }
}
