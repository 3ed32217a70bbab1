package dev.squeeze.hardware;

import dev.squeeze.SqueezeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProfilesTest {
    @TempDir
    Path dir;

    @Test
    void everyShippedProfileLoadsAndCitesItsSources() {
        for (String name : Profiles.BUILT_IN) {
            HardwareProfile p = Profiles.load(name);
            assertEquals(name, p.name());
            String text = Profiles.text(name);
            long numbers = text.lines().filter(l -> !l.trim().startsWith("#") && l.matches(".*\\d.*")).count();
            long comments = text.lines().filter(l -> l.trim().startsWith("#")).count();
            assertTrue(comments >= 10, name + " has " + comments + " comment lines for " + numbers + " lines with figures");
        }
    }

    @Test
    void practitionerFactsAreInTheProfiles() {
        assertTrue(Profiles.load("nvidia-h100").formats().containsKey(Format.FP8));
        assertTrue(!Profiles.load("nvidia-h100").formats().containsKey(Format.INT4), "H100 has no int4 tensor cores");
        assertTrue(Profiles.load("nvidia-t4").formats().containsKey(Format.INT4));
        assertTrue(!Profiles.load("nvidia-t4").formats().containsKey(Format.BF16), "Turing has no bf16");
        assertTrue(!Profiles.load("raspberry-pi-4").formats().containsKey(Format.FP16), "Cortex-A72 has no fp16 arithmetic");
        assertTrue(Profiles.load("raspberry-pi-5").formats().containsKey(Format.FP16));
        assertEquals(java.util.Set.of(Format.INT8), Profiles.load("coral-edge-tpu").formats().keySet());
        assertEquals(Format.FP32, Profiles.load("raspberry-pi-4").computeFormat(16, 16), "no fp16 maths: falls back to fp32");
        assertEquals(Format.INT8, Profiles.load("nvidia-h100").computeFormat(4, 4), "no int4: falls back to int8");
        assertEquals(Format.FP16, Profiles.load("nvidia-t4").computeFormat(4, 16), "weight-only int4 runs in fp16");
        assertEquals(null, Profiles.load("coral-edge-tpu").computeFormat(32, 32));
    }

    @Test
    void unknownDeviceListsTheKnownOnes() {
        var e = assertThrows(SqueezeException.class, () -> Profiles.load("raspbery-pi-4"));
        assertTrue(e.getMessage().contains("unknown device 'raspbery-pi-4'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'raspberry-pi-4'"), e.getMessage());
        for (String name : Profiles.BUILT_IN) assertTrue(e.getMessage().contains(name), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertEquals(SqueezeException.BAD_INPUT, e.exitCode());
    }

    private Path variant(String from, String to) throws IOException {
        String text = Profiles.text("nvidia-t4");
        assertTrue(text.contains(from), from);
        Path f = dir.resolve("t4-variant.yaml");
        Files.writeString(f, text.replace(from, to));
        return f;
    }

    @Test
    void missingFieldNamesFieldAndFile() throws IOException {
        Path f = variant("memory_bandwidth: 320.0e+9\n", "");
        var e = assertThrows(SqueezeException.class, () -> Profiles.load(f.toString()));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("'memory_bandwidth'"), e.getMessage());
    }

    @Test
    void zeroOrNegativeThroughputIsRejected() throws IOException {
        for (String bad : new String[]{"0", "-65.0e+12"}) {
            Path f = variant("fp16: {peak_ops: 65.0e+12", "fp16: {peak_ops: " + bad);
            var e = assertThrows(SqueezeException.class, () -> Profiles.load(f.toString()));
            assertTrue(e.getMessage().contains("'peak_ops' of format 'fp16' must be positive"), e.getMessage());
            assertTrue(e.getMessage().startsWith(f + ":"), "names file and line: " + e.getMessage());
        }
        Path f = variant("memory_bandwidth: 320.0e+9", "memory_bandwidth: -1");
        assertThrows(SqueezeException.class, () -> Profiles.load(f.toString()));
    }

    @Test
    void unknownKeysSuggestTheClosestValidKey() throws IOException {
        Path f = variant("memory_bandwidth:", "memory_bandwith:");
        var e = assertThrows(SqueezeException.class, () -> Profiles.load(f.toString()));
        assertTrue(e.getMessage().contains("unknown key 'memory_bandwith'") && e.getMessage().contains("did you mean 'memory_bandwidth'"), e.getMessage());
        Path g = variant("int4: {", "int3: {");
        var e2 = assertThrows(SqueezeException.class, () -> Profiles.load(g.toString()));
        assertTrue(e2.getMessage().contains("unknown key 'int3'") && e2.getMessage().contains("did you mean"), e2.getMessage());
    }

    @Test
    void numbersWithoutADotAreNumbersToo() throws IOException {
        // YAML 1.1 reads 65e12 as text; a profile author should not have to know that
        Path f = variant("fp16: {peak_ops: 65.0e+12", "fp16: {peak_ops: 65e12");
        assertEquals(65e12, Profiles.load(f.toString()).spec(Format.FP16).peakOps());
    }
}
