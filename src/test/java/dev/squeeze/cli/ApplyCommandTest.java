package dev.squeeze.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.squeeze.cli.CliTest.assertOneLineError;
import static dev.squeeze.cli.CliTest.squeeze;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApplyCommandTest {
    @TempDir
    Path dir;

    @Test
    void appliesAPlanPrintsBeforeAndAfterAndWritesALoadableModel() throws Exception {
        Path out = dir.resolve("att.zip");
        CliTest.Run r = squeeze("apply", "--model", "fashion-attention", "--uniform", "w8a8p0.5", "--finetune-epochs", "0.02",
                "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        for (String side : new String[]{"before", "after"}) {
            for (String key : new String[]{"params", "macs", "size_mb", "accuracy"}) assertTrue(j.get(side).has(key), side + "." + key + " in " + j);
        }
        assertEquals(24_458, j.at("/before/params").asLong());
        assertTrue(j.at("/after/params").asLong() < j.at("/before/params").asLong(), j.toString());
        assertTrue(j.at("/after/size_mb").asDouble() < j.at("/before/size_mb").asDouble() / 4, "int8 + pruning: " + j);
        assertTrue(j.at("/after/accuracy").asDouble() > 0.5, "a short fine-tune keeps it useful: " + j);

        ModelHandle written = ModelStore.load(out.toString());
        assertEquals(j.at("/after/params").asLong(), written.graph().params(), "the written model is the one measured");
        assertEquals(j.at("/after/macs").asLong(), written.graph().macs());
        JsonNode compression = Json.json().readTree(dir.resolve("att.compression.json").toFile());
        assertEquals(2, compression.at("/kept_units/attention").size(), "half of 4 heads kept: " + compression.get("kept_units"));
        assertTrue(compression.at("/activation_quantization/dense1/scale").asDouble() > 0, compression.toString());
        assertTrue(compression.at("/weight_quantization/dense1/W/scales").size() > 0);
        assertPeakMemoryLine(lastLine(r.err()));
        JsonNode provenance = compression.get("provenance");
        assertEquals(j.get("provenance"), provenance, "printed and written provenance are one record");
        for (String k : new String[]{"model", "model_sha256", "data", "importance", "calibration", "finetune", "versions", "made_at", "command"}) {
            assertTrue(provenance.has(k), k + " in " + provenance);
        }
        assertEquals(0.02, provenance.at("/finetune/epochs").asDouble(), 1e-12);
        assertTrue(provenance.at("/versions/jenetics").asText().startsWith("7."), provenance.toString());
    }

    /** A long command's closing line ends with the process's peak resident memory (what a machine needs to run it). */
    @Test
    void closingLineCarriesPeakMemory() {
        CliTest.Run r = squeeze("apply", "--model", "fashion-cnn", "--uniform", "w8a8");
        assertEquals(0, r.code(), r.err());
        String closing = lastLine(r.out());
        assertTrue(closing.startsWith("accuracy on "), closing);
        assertPeakMemoryLine(closing);
    }

    static void assertPeakMemoryLine(String line) {
        var m = java.util.regex.Pattern.compile("; peak memory (\\d+(\\.\\d+)?) (MB|GB)$").matcher(line);
        assertTrue(m.find(), "closing line without the peak: " + line);
        double mb = Double.parseDouble(m.group(1)) * (m.group(3).equals("GB") ? 1000 : 1);
        assertTrue(mb > 50, "a JVM with ND4J loaded holds more than 50 MB: " + line);
        long hwm = dev.squeeze.PeakMemory.bytes().orElseThrow();
        assertTrue(mb <= hwm / 1e6 + 10, "the figure is this process's high-water mark (" + hwm / 1e6 + " MB), not more: " + line);
    }

    static String lastLine(String text) {
        String[] lines = text.strip().split("\\R");
        return lines[lines.length - 1];
    }

    @Test
    void badPlansAreOneLineErrors() throws Exception {
        Path missing = Files.writeString(dir.resolve("missing.yaml"), "schema: squeeze-plan/v1\nlayers:\n  conv9: {prune_ratio: 0.5}\n");
        assertOneLineError(squeeze("apply", "--model", "fashion-cnn", "--plan", missing.toString()), "conv9", "does not exist", "conv1");
        Path all = Files.writeString(dir.resolve("all.yaml"), "schema: squeeze-plan/v1\nlayers:\n  conv2: {prune_ratio: 0.999}\n");
        assertOneLineError(squeeze("apply", "--model", "fashion-cnn", "--plan", all.toString()), "conv2", "would remove all 64");
        Path bits = Files.writeString(dir.resolve("bits.yaml"), "schema: squeeze-plan/v1\ndefaults: {weight_bits: 9}\n");
        assertOneLineError(squeeze("apply", "--model", "fashion-cnn", "--plan", bits.toString()), "bits.yaml", "weight_bits", "2..8, 16");
        assertOneLineError(squeeze("apply", "--model", "fashion-cnn", "--uniform", "w1a8"), "--uniform", "2..8");
        assertOneLineError(squeeze("apply", "--model", "fashion-cnn", "--uniform", "w8a8", "--importance", "magic"), "--importance", "fpgm");
    }
}
