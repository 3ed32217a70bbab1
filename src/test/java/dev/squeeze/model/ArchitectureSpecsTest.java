package dev.squeeze.model;

import dev.squeeze.SqueezeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitectureSpecsTest {
    @TempDir
    Path dir;

    @Test
    void resnet18MatchesTorchvision() {
        LayerGraph g = ArchitectureSpecs.load("resnet18");
        assertEquals(11_689_512, g.params());
        assertEquals(1.82e9, g.macs(), 0.01 * 1.82e9);
        assertEquals(TensorShape.of(512, 7, 7), g.node("layer4.1.relu2").outShape());
        // identity shortcuts tie each stage's block outputs (and the stem for stage 1) into one group
        assertEquals(g.groupOf("conv1"), g.groupOf("layer1.1.conv2"));
        assertEquals(g.groupOf("layer2.0.conv2"), g.groupOf("layer2.0.downsample.0"));
    }

    @Test
    void inspectionNamesTheAddsOfEachResidualGroup() {
        var groups = Inspection.ofSpec("resnet18").groups();
        var stem = groups.stream().filter(g -> g.id().equals("conv1")).findFirst().orElseThrow();
        assertEquals(List.of("layer1.0.add", "layer1.1.add"), stem.residualAdds());
        var inner = groups.stream().filter(g -> g.id().equals("layer1.0.conv1")).findFirst().orElseThrow();
        assertEquals(List.of(), inner.residualAdds(), "a group no add ties has none");
        assertEquals(4, groups.stream().filter(g -> !g.residualAdds().isEmpty()).count(), "one residual group per stage");
    }

    @Test
    void bertBaseEncoderHas85MParams() {
        var report = Inspection.ofSpec("bert-base");
        var encoder = report.blocks().stream().filter(b -> b.name().equals("encoder")).findFirst().orElseThrow();
        assertEquals(85_054_464, encoder.params());
        assertEquals(12 * 7, encoder.layers());
        // word 30522 + position 512 + token type 2 tables, each x 768
        assertEquals((30_522 + 512 + 2) * 768L, report.embeddingParams());
        LayerGraph g = ArchitectureSpecs.load("bert-base");
        assertEquals(12, g.prunableUnits("encoder.0.attention"));
        assertEquals(3072, g.prunableUnits("encoder.0.intermediate"));
        assertEquals(0, g.prunableUnits("encoder.0.output"), "the residual stream width is tied to the embeddings");
    }

    @Test
    void fashionCnnSpecEqualsRealModelGraph() {
        Backend.init();
        LayerGraph spec = ArchitectureSpecs.load("fashion-cnn");
        LayerGraph model = ModelStore.load("fashion-cnn").graph();
        assertEquals(model.nodes(), spec.nodes());
        assertEquals(model.groups(), spec.groups());
        assertTrue(spec.sameStructure(model));
    }

    /** The graph baselines' specs are their shipped, trained networks as DL4J reads them: same nodes, shapes and groups. */
    @Test
    void graphModelSpecsEqualTheShippedModels() {
        Backend.init();
        for (String name : List.of("fashion-resnet", "fashion-mobilenet")) {
            LayerGraph spec = ArchitectureSpecs.load(name);
            LayerGraph model = ModelStore.load(name).graph();
            assertEquals(model.nodes(), spec.nodes(), name);
            assertEquals(model.groups(), spec.groups(), name);
            assertEquals(model.params(), spec.params(), name);
            assertEquals(model.macs(), spec.macs(), name);
        }
    }

    /** A conv2d with one channel per group is the depthwise op (its own class), still typed conv2d; a depth multiplier is a grouped conv. */
    @Test
    void depthwiseIsAConv2dWithOneChannelPerGroup() throws Exception {
        LayerGraph g = ArchitectureSpecs.load(spec("""
                schema: squeeze-arch/v1
                name: dw
                input: {shape: [4, 8, 8]}
                layers:
                  - {name: dw, op: conv2d, out: 4, kernel: 3, padding: 1, groups: 4, bias: false}
                  - {name: grouped, op: conv2d, out: 8, kernel: 3, groups: 4}
                """).toString());
        assertEquals(new DepthwiseConv2dOp(4, 3, 3, 1, 1, 1, 1, false, "identity"), g.node("dw").op());
        assertEquals("conv2d", g.node("dw").type());
        assertEquals(4 * 9, g.node("dw").params());
        assertEquals(8 * 8 * 4 * 9, g.node("dw").macs());
        assertTrue(g.node("grouped").op() instanceof Conv2dOp);
        assertEquals(8 * 9 + 8, g.node("grouped").params());
        assertThrows(IllegalArgumentException.class, () -> new Conv2dOp(4, 4, 3, 3, 1, 1, 1, 1, 4, false, "identity"));
    }

    /** Concat is spelled {@code op: concat} with its inputs: the spec's graph is the DL4J MergeVertex network's, groups and offsets included. */
    @Test
    void concatSpecEqualsTheDl4jGraph() throws Exception {
        LayerGraph spec = ArchitectureSpecs.load(spec(ConcatGraphs.SPEC).toString());
        LayerGraph model = Dl4jGraphs.of("inception", ConcatGraphs.build(1), ConcatGraphs.INPUT);
        assertEquals(model.nodes(), spec.nodes());
        assertEquals(model.groups(), spec.groups());
        assertEquals(TensorShape.of(16, 14, 14), spec.node("cat").outShape());
        assertEquals(TensorShape.of(16), spec.node("vcat").outShape());
    }

    @Test
    void unknownOpIsOneLineErrorWithSuggestion() throws Exception {
        Path f = spec("""
                schema: squeeze-arch/v1
                name: bad
                input: {shape: [1, 8, 8]}
                layers:
                  - {name: c, op: conv2, out: 4, kernel: 3}
                """);
        var e = assertThrows(SqueezeException.class, () -> ArchitectureSpecs.load(f.toString()));
        assertTrue(e.getMessage().contains(f + ":5"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown op 'conv2'") && e.getMessage().contains("did you mean 'conv2d'"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void inconsistentShapesNameTheLayer() throws Exception {
        Path f = spec("""
                schema: squeeze-arch/v1
                name: bad
                input: {shape: [3, 8, 8]}
                layers:
                  - {name: a, op: conv2d, out: 4, kernel: 3, padding: 1}
                  - {name: b, op: conv2d, out: 6, kernel: 3, padding: 1, inputs: [a]}
                  - {name: sum, op: add, inputs: [a, b]}
                """);
        var e = assertThrows(SqueezeException.class, () -> ArchitectureSpecs.load(f.toString()));
        assertTrue(e.getMessage().contains("layer 'sum'") && e.getMessage().contains("one shape"), e.getMessage());
        Path g = spec("""
                schema: squeeze-arch/v1
                name: bad
                input: {shape: [3, 8, 8]}
                layers:
                  - {name: a, op: conv2d, in: 4, out: 4, kernel: 3}
                """);
        var e2 = assertThrows(SqueezeException.class, () -> ArchitectureSpecs.load(g.toString()));
        assertTrue(e2.getMessage().contains("expects 4 input channels"), e2.getMessage());
    }

    @Test
    void unknownKeyAndMissingInputAreErrors() throws Exception {
        Path f = spec("""
                schema: squeeze-arch/v1
                name: bad
                input: {shape: [16]}
                layers:
                  - {name: d, op: dense, out: 4, activaton: relu}
                """);
        var e = assertThrows(SqueezeException.class, () -> ArchitectureSpecs.load(f.toString()));
        assertTrue(e.getMessage().contains("unknown key 'activaton'") && e.getMessage().contains("'activation'"), e.getMessage());
        Path g = spec("""
                schema: squeeze-arch/v1
                name: bad
                input: {shape: [16]}
                layers:
                  - {name: d, op: dense, out: 4, inputs: [nowhere]}
                """);
        var e2 = assertThrows(SqueezeException.class, () -> ArchitectureSpecs.load(g.toString()));
        assertTrue(e2.getMessage().contains("'nowhere'"), e2.getMessage());
    }

    private Path spec(String text) throws Exception {
        Path f = dir.resolve("spec-" + System.nanoTime() + ".yaml");
        Files.writeString(f, text);
        return f;
    }
}
