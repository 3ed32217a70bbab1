package dev.squeeze.search;

import dev.squeeze.model.CompressionPlan;
import io.jenetics.util.RandomRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Genotypes to plans and back: exact inside the space, closest values for plans outside it. */
class PlanCodecTest {
    @TempDir
    static Path dir;

    @Test
    void decodingThenEncodingGivesTheSameGenotypeAndPlansOutsideTheSpaceLandOnItsClosestValues() throws Exception {
        Nsga2SearchTest.dir = dir;
        var space = Nsga2SearchTest.space();
        PlanCodec codec = PlanCodec.of(space);
        assertEquals(space.genes(), codec.knobs());
        var keys = new HashSet<String>();
        RandomRegistry.using(new Random(5), r -> {
            for (int i = 0; i < 200; i++) {
                var g = codec.encoding().newInstance();
                assertTrue(g.isValid());
                CompressionPlan plan = codec.decode(g);
                assertEquals(g, codec.encode(plan));
                assertArrayEquals(PlanCodec.indices(g), space.indicesOf(plan));
                keys.add(plan.key());
            }
        });
        assertTrue(keys.size() > 150, "random genotypes spread over the space: " + keys.size());

        // 6 bits is not among the space's weight bits [2, 4, 8, 16, 32]: a plan with it lands on the closest value
        CompressionPlan outside = CompressionPlan.uniform("w6a8");
        CompressionPlan placed = codec.decode(codec.encode(outside));
        for (String layer : placed.layers().keySet()) {
            int bits = placed.forLayer(layer).weightBits();
            assertTrue(bits == 4 || bits == 8, layer + ": " + bits);
        }
        assertEquals(placed, codec.decode(codec.encode(placed)));
    }

    @Test
    void aSpaceWithNothingToSearchIsRefused() throws Exception {
        var f = dir.resolve("fixed.yaml");
        java.nio.file.Files.writeString(f, """
                schema: squeeze-space/v1
                layers:
                  - match: {types: [conv2d, dense]}
                    weight_bits: {values: [8]}
                """);
        var fixed = dev.squeeze.spaces.SpaceLoader.load(f, Nsga2SearchTest.CNN);
        assertThrows(IllegalArgumentException.class, () -> PlanCodec.of(fixed));
    }
}
