package dev.squeeze.model;

import dev.squeeze.SqueezeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlansTest {
    static final LayerGraph CNN = ArchitectureSpecs.load("fashion-cnn");

    @TempDir
    Path dir;

    @Test
    void planFileAsInDesign() throws Exception {
        CompressionPlan p = Plans.resolve(write("""
                schema: squeeze-plan/v1
                defaults: {prune_ratio: 0.0, weight_bits: 32, act_bits: 32}
                layers:
                  conv2: {prune_ratio: 0.5, weight_bits: 4, act_bits: 8}
                  dense1: {prune_ratio: 0.25, weight_bits: 8}
                distillation: {temperature: 4, alpha: 0.3}
                """), null, CNN);
        assertEquals(new CompressionPlan.LayerPlan(0.5, 4, 8), p.forLayer("conv2"));
        assertEquals(new CompressionPlan.LayerPlan(0.25, 8, 32), p.forLayer("dense1"));
        assertEquals(CompressionPlan.NONE, p.forLayer("conv1"));
        assertEquals(32, p.keptUnits(CNN, CNN.groupOf("conv2").orElseThrow(), 1));
        assertEquals(96, p.keptUnits(CNN, CNN.groupOf("dense1").orElseThrow(), 1));
        assertEquals(4.0, p.distillation().temperature());
    }

    @Test
    void uniformShorthandPrunesOnlyPrunableLayers() {
        CompressionPlan p = Plans.resolve(null, "w4a8p0.5", CNN);
        assertEquals(0.5, p.pruneRatio(CNN, "conv1"));
        assertEquals(0.0, p.pruneRatio(CNN, "output"));
        assertEquals(4, p.forLayer("output").weightBits());
        assertEquals(16, p.keptUnits(CNN, CNN.groupOf("conv1").orElseThrow(), 1));
        assertEquals(16, p.keptUnits(CNN, CNN.groupOf("conv1").orElseThrow(), 8));
        CompressionPlan p40 = Plans.resolve(null, "w8a8p0.4", CNN);
        assertEquals(19, p40.keptUnits(CNN, CNN.groupOf("conv1").orElseThrow(), 1));
        assertEquals(24, p40.keptUnits(CNN, CNN.groupOf("conv1").orElseThrow(), 8), "kept units round up to the alignment");
        var e = assertThrows(SqueezeException.class, () -> Plans.resolve(null, "int8", CNN));
        assertTrue(e.getMessage().contains("w8a8"), e.getMessage());
    }

    @Test
    void badPlansAreOneLineErrors() throws Exception {
        var unknown = assertThrows(SqueezeException.class, () -> Plans.resolve(write("""
                layers:
                  conv3: {weight_bits: 8}
                """), null, CNN));
        assertTrue(unknown.getMessage().contains("'conv3' does not exist") && unknown.getMessage().contains("conv2"), unknown.getMessage());
        var everything = assertThrows(SqueezeException.class, () -> Plans.resolve(write("""
                layers:
                  conv1: {prune_ratio: 0.99}
                """), null, CNN));
        assertTrue(everything.getMessage().contains("would remove all 32 channels"), everything.getMessage());
        var bits = assertThrows(SqueezeException.class, () -> Plans.resolve(write("""
                layers:
                  conv1: {weight_bits: 12}
                """), null, CNN));
        assertTrue(bits.getMessage().contains("weight_bits must be 2..8, 16 (fp16) or 32"), bits.getMessage());
        var output = assertThrows(SqueezeException.class, () -> Plans.resolve(write("""
                layers:
                  output: {prune_ratio: 0.5}
                """), null, CNN));
        assertTrue(output.getMessage().contains("nothing to prune"), output.getMessage());
        for (var e : new SqueezeException[]{unknown, everything, bits, output}) assertTrue(!e.getMessage().contains("\n"));
    }

    private Path write(String text) throws Exception {
        Path f = dir.resolve("plan-" + System.nanoTime() + ".yaml");
        Files.writeString(f, text);
        return f;
    }
}
