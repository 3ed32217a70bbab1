package dev.squeeze.spaces;

import dev.squeeze.SqueezeException;
import dev.squeeze.model.ArchitectureSpecs;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.LayerGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpaceLoaderTest {
    static final LayerGraph CNN = ArchitectureSpecs.load("fashion-cnn");

    @TempDir
    Path dir;

    @Test
    void laterEntriesOverrideFieldByFieldAndKnobsGoWhereTheyMeanSomething() throws Exception {
        SearchSpace s = load("""
                schema: squeeze-space/v1
                layers:
                  - match: {types: [conv2d, dense]}
                    prune_ratio: {values: [0.0, 0.25, 0.5]}
                    weight_bits: {values: [4, 8, 32]}
                    act_bits: {values: [8, 32]}
                  - match: {names: [output]}
                    weight_bits: {values: [8, 32]}
                distillation:
                  temperature: {values: [2, 4]}
                  alpha: {values: [0.5]}
                align_to_device: true
                """);
        var labels = s.knobs().stream().map(Knob::label).toList();
        assertTrue(labels.contains("conv1.prune_ratio") && labels.contains("dense1.prune_ratio"));
        assertFalse(labels.contains("output.prune_ratio"), "the output layer's units are the classes");
        assertFalse(labels.contains("bn1.weight_bits"), "batchnorm has no weight knob");
        Knob outputBits = s.knobs().stream().filter(k -> k.label().equals("output.weight_bits")).findFirst().orElseThrow();
        assertEquals(List.of(8.0, 32.0), outputBits.values());
        Knob outputAct = s.knobs().stream().filter(k -> k.label().equals("output.act_bits")).findFirst().orElseThrow();
        assertEquals(List.of(8.0, 32.0), outputAct.values(), "fields not overridden keep the earlier entry's values");
        assertTrue(s.alignToDevice());
        // 3 prunable x (3 prune x 3 bits x 2 act) x output (2 x 2) x temperature 2; alpha fixed
        assertEquals(BigInteger.valueOf(18L * 18 * 18 * 4 * 2), s.size());
    }

    @Test
    void planRoundTripsThroughIndices() throws Exception {
        SearchSpace s = load("""
                schema: squeeze-space/v1
                layers:
                  - match: {types: [conv2d, dense]}
                    prune_ratio: {values: [0.0, 0.5]}
                    weight_bits: {values: [4, 8, 32]}
                """);
        int[] idx = new int[s.genes().size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i % s.genes().get(i).values().size();
        CompressionPlan plan = s.plan(idx);
        assertTrue(java.util.Arrays.equals(idx, s.indicesOf(plan)));
        assertEquals(s.plan(idx).key(), plan.key());
        plan.validate(CNN, "test");
    }

    @Test
    void alignmentRoundsKeptUnitsUpAndMergesRatios() throws Exception {
        SearchSpace s = load("""
                schema: squeeze-space/v1
                layers:
                  - match: {names: [conv1]}
                    prune_ratio: {values: [0.0, 0.25, 0.375, 0.5, 0.625, 0.75]}
                """).alignedTo(CNN, layer -> 8);
        Knob k = s.knobs().get(0);
        // kept 32, 24, 20->24, 16, 12->16, 8
        assertEquals(List.of(0.0, 0.25, 0.5, 0.75), k.values());
        for (double r : k.values()) {
            var plan = new CompressionPlan(CompressionPlan.NONE, java.util.Map.of("conv1", new CompressionPlan.LayerPlan(r, 32, 32)),
                    CompressionPlan.Distillation.DEFAULT);
            assertEquals(0, plan.keptUnits(CNN, CNN.groupOf("conv1").orElseThrow(), 1) % 8);
        }
    }

    /**
     * spaces/generic.yaml names no layer: on the sequential fashion-cnn, on the residual fashion-resnet and mobilenet
     * graphs and on fashion-attention it prunes every group leader, sets bits on every weighted layer and keeps the
     * output layer, found by its role, at 4 bits or more with a float output.
     */
    @Test
    void theGenericSpaceFitsAnyModelAndKeepsItsOutputLayerAtFourBitsOrMore() {
        var generic = dev.squeeze.ConfigFiles.find("spaces/generic.yaml", "spaces", "space").yaml();
        for (LayerGraph g : List.of(CNN, ArchitectureSpecs.load("fashion-resnet"), ArchitectureSpecs.load("fashion-mobilenet"),
                dev.squeeze.model.ModelStore.load("fashion-attention").graph())) {
            SearchSpace s = SpaceLoader.resolve(generic, g);
            String output = g.outputs().get(0).name();
            Knob outputBits = s.knobs().stream().filter(k -> k.label().equals(output + ".weight_bits")).findFirst().orElseThrow();
            assertEquals(List.of(4.0, 8.0, 32.0), outputBits.values(), g.name());
            assertTrue(s.genes().stream().noneMatch(k -> k.label().equals(output + ".act_bits")), g.name() + ": the output stays float, no gene for it");
            long leaders = g.groups().size();
            assertEquals(leaders, s.knobs().stream().filter(k -> k.kind() == Knob.Kind.PRUNE_RATIO).count(), g.name() + ": every group is pruned");
            long weighted = g.nodes().stream().filter(n -> List.of("conv2d", "dense", "attention").contains(n.type())).count();
            assertEquals(weighted, s.knobs().stream().filter(k -> k.kind() == Knob.Kind.WEIGHT_BITS).count(), g.name() + ": bits on every weighted layer");
        }
    }

    @Test
    void anUnknownRoleIsOneLineNamingTheRoles() throws Exception {
        var e = assertThrows(SqueezeException.class, () -> load("""
                schema: squeeze-space/v1
                layers:
                  - match: {role: input}
                    weight_bits: {values: [8]}
                """));
        assertTrue(e.getMessage().contains("unknown role 'input'") && e.getMessage().contains("roles: output"), e.getMessage());
        var key = assertThrows(SqueezeException.class, () -> load("""
                schema: squeeze-space/v1
                layers:
                  - match: {rol: output}
                    weight_bits: {values: [8]}
                """));
        assertTrue(key.getMessage().contains("unknown key 'rol'") && key.getMessage().contains("role"), key.getMessage());
    }

    @Test
    void unknownKeySuggestsClosest() throws Exception {
        var e = assertThrows(SqueezeException.class, () -> load("""
                schema: squeeze-space/v1
                layers:
                  - match: {types: [conv2d]}
                    prune_ration: {values: [0.5]}
                """));
        assertTrue(e.getMessage().contains("unknown key 'prune_ration'") && e.getMessage().contains("did you mean 'prune_ratio'"), e.getMessage());
        assertTrue(e.getMessage().contains(".yaml:4"), e.getMessage());
    }

    @Test
    void emptyValuesAndSelectorsMatchingNothingAreErrors() throws Exception {
        var empty = assertThrows(SqueezeException.class, () -> load("""
                schema: squeeze-space/v1
                layers:
                  - match: {types: [conv2d]}
                    weight_bits: {values: []}
                """));
        assertTrue(empty.getMessage().contains("weight_bits.values is empty"), empty.getMessage());
        var nothing = assertThrows(SqueezeException.class, () -> load("""
                schema: squeeze-space/v1
                layers:
                  - match: {types: [attention]}
                    weight_bits: {values: [8]}
                """));
        assertTrue(nothing.getMessage().contains("matches no layer"), nothing.getMessage());
        var unknownName = assertThrows(SqueezeException.class, () -> load("""
                schema: squeeze-space/v1
                layers:
                  - match: {names: [conv3]}
                    weight_bits: {values: [8]}
                """));
        assertTrue(unknownName.getMessage().contains("no layer named 'conv3'") && unknownName.getMessage().contains("did you mean"),
                unknownName.getMessage());
        var badBits = assertThrows(SqueezeException.class, () -> load("""
                schema: squeeze-space/v1
                layers:
                  - match: {types: [conv2d]}
                    weight_bits: {values: [8, 12]}
                """));
        assertTrue(badBits.getMessage().contains("12") && badBits.getMessage().contains("2..8, 16 or 32"), badBits.getMessage());
    }

    private SearchSpace load(String text) throws Exception {
        Path f = dir.resolve("space-" + System.nanoTime() + ".yaml");
        Files.writeString(f, text);
        return SpaceLoader.load(f, CNN);
    }
}
