package dev.squeeze.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

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
