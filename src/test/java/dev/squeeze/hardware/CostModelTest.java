package dev.squeeze.hardware;

import dev.squeeze.model.ArchitectureSpecs;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.CompressionPlan.LayerPlan;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.Conv2dOp;
import dev.squeeze.model.DenseOp;
import dev.squeeze.model.TensorShape;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviours a practitioner knows about these devices, checked against the shipped profiles. */
class CostModelTest {
    static final LayerGraph BERT = ArchitectureSpecs.load("bert-base");
    static final LayerGraph RESNET = ArchitectureSpecs.load("resnet18");
    static final LayerGraph CNN = ArchitectureSpecs.load("fashion-cnn");

    static PlanCost cost(LayerGraph g, String device, CompressionPlan plan) {
        return CostModel.of(g, Profiles.load(device)).cost(plan, 1);
    }

    static PlanCost cost(LayerGraph g, String device, String uniform) {
        return cost(g, device, CompressionPlan.uniform(uniform));
    }

    static LayerCost layer(PlanCost c, String name) {
        return c.layers().stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void h100HasNoInt4TensorCoresSoInt4BertIsNoFaster() {
        PlanCost int8 = cost(BERT, "nvidia-h100", "w8a8"), int4 = cost(BERT, "nvidia-h100", "w4a4");
        // GEMMs compute in int8 either way; the only saving left is the 4-bit embedding rows gathered (nanoseconds).
        assertTrue(int4.total().latencyMs() >= 0.99 * int8.total().latencyMs(),
                "int4 " + int4.total().latencyMs() + " ms vs int8 " + int8.total().latencyMs() + " ms");
        for (LayerCost l : int8.layers()) {
            if (l.type().equals("dense") || l.type().equals("attention")) {
                assertEquals("int8", layer(int4, l.name()).format());
                assertEquals(l.latencyMs(), layer(int4, l.name()).latencyMs(), 1e-9, l.name());
            }
        }
    }

    @Test
    void t4RunsInt4TensorCoresSoInt4BertIsFaster() {
        PlanCost int8 = cost(BERT, "nvidia-t4", "w8a8"), int4 = cost(BERT, "nvidia-t4", "w4a4");
        assertEquals("int4", layer(int4, "encoder.0.intermediate").format());
        assertTrue(int4.total().latencyMs() < 0.8 * int8.total().latencyMs(),
                "int4 " + int4.total().latencyMs() + " ms vs int8 " + int8.total().latencyMs() + " ms");
    }

    @Test
    void coralFlagsFloatPlansAsUnsupported() {
        PlanCost fp32 = cost(RESNET, "coral-edge-tpu", "w32a32");
        assertTrue(fp32.total().unsupported() > 0);
        assertTrue(fp32.warnings().stream().anyMatch(w -> w.startsWith("unsupported: w32/a32") && w.contains("int8")), fp32.warnings().toString());
        PlanCost int8 = cost(CNN, "coral-edge-tpu", "w8a8");
        assertEquals(0, int8.total().unsupported());
        assertTrue(int8.warnings().isEmpty(), int8.warnings().toString());
    }

    /** A stack of 3x3 convs, 256 channels at 14x14: ~0.59 M parameters (0.59 MB at int8) and 116 M MACs per layer. */
    static LayerGraph convStack(int layers) {
        var b = LayerGraph.builder("stack" + layers).input("input", TensorShape.of(256, 14, 14));
        for (int i = 0; i < layers; i++) b.add("conv" + i, new Conv2dOp(256, 256, 3, 3, 1, 1, 1, 1, 1, false, "relu"));
        return b.build();
    }

    @Test
    void coralModelOverOnChipMemoryCostsMuchMorePerMac() {
        PlanCost under = cost(convStack(6), "coral-edge-tpu", "w8a8");   // ~3.5 MB of int8 weights: fits the ~8 MB SRAM
        PlanCost over = cost(convStack(24), "coral-edge-tpu", "w8a8");   // ~14 MB: the rest streams over USB every inference
        double perMacUnder = under.total().latencyMs() / under.total().macs();
        double perMacOver = over.total().latencyMs() / over.total().macs();
        assertTrue(perMacOver > 3 * perMacUnder, "per MAC: over " + perMacOver + " vs under " + perMacUnder);
        assertTrue(over.warnings().stream().anyMatch(w -> w.contains("exceed coral-edge-tpu's on-chip memory")));
        assertTrue(under.warnings().isEmpty(), under.warnings().toString());
    }

    @Test
    void raspberryPi4RunsInt8FasterThanFp32() {
        for (LayerGraph g : new LayerGraph[]{CNN, RESNET}) {
            PlanCost fp32 = cost(g, "raspberry-pi-4", "w32a32"), int8 = cost(g, "raspberry-pi-4", "w8a8");
            assertTrue(int8.total().latencyMs() < fp32.total().latencyMs(), g.name());
            assertEquals("int8", layer(int8, g == CNN ? "conv2" : "layer1.0.conv1").format());
            assertEquals("fp32", layer(fp32, g == CNN ? "conv2" : "layer1.0.conv1").format());
        }
    }

    @Test
    void pruningOffTheAlignmentMultipleGainsLessThanTheMacCount() {
        String conv = "layer1.0.conv1";    // 64 channels; int8 tensor cores on the T4 want multiples of 16
        PlanCost full = cost(RESNET, "nvidia-t4", "w8a8");
        PlanCost off = cost(RESNET, "nvidia-t4", plan(conv, 0.0625));     // 64 -> 60 channels: padded back to 64
        PlanCost on = cost(RESNET, "nvidia-t4", plan(conv, 0.25));        // 64 -> 48 channels: a multiple of 16
        double macRatioOff = (double) layer(off, conv).macs() / layer(full, conv).macs();
        double latencyRatioOff = layer(off, conv).latencyMs() / layer(full, conv).latencyMs();
        assertEquals(60.0 / 64, macRatioOff, 1e-9);
        assertTrue(latencyRatioOff > macRatioOff + 0.05, "latency ratio " + latencyRatioOff + " vs MAC ratio " + macRatioOff);
        double macRatioOn = (double) layer(on, conv).macs() / layer(full, conv).macs();
        double latencyRatioOn = layer(on, conv).latencyMs() / layer(full, conv).latencyMs();
        assertTrue(latencyRatioOn < latencyRatioOff, "aligned pruning gains more: " + latencyRatioOn + " vs " + latencyRatioOff);
        assertEquals(0.75, macRatioOn, 1e-9);
    }

    static CompressionPlan plan(String layer, double prune) {
        return new CompressionPlan(new LayerPlan(0, 8, 8), Map.of(layer, new LayerPlan(prune, 8, 8)), CompressionPlan.Distillation.DEFAULT);
    }

    @Test
    void energyFallsWithFewerBitsAndFewerMacs() {
        for (String device : new String[]{"raspberry-pi-4", "nvidia-t4", "jetson-agx-orin"}) {
            double fp32 = cost(RESNET, device, "w32a32").total().energyMj();
            double int8 = cost(RESNET, device, "w8a8").total().energyMj();
            double int4 = cost(RESNET, device, "w4a8").total().energyMj();
            double pruned = cost(RESNET, device, "w8a8p0.5").total().energyMj();
            assertTrue(int8 < fp32 && int4 < int8, device + ": fp32 " + fp32 + ", int8 " + int8 + ", w4a8 " + int4);
            assertTrue(pruned < int8, device + ": pruned " + pruned + " vs " + int8);
        }
    }

    @Test
    void memoryBoundDenseLayersGainFromFewerWeightBitsWhereComputeDoesNot() {
        // Four 8192x8192 layers: 268 MB of int8 weights, far beyond any cache here (the H100's L2 is 50 MB).
        var b = LayerGraph.builder("big-mlp").input("input", TensorShape.of(8192));
        for (String fc : new String[]{"fc", "fc2", "fc3", "fc4"}) b.add(fc, new DenseOp(8192, 8192, true, "relu"));
        LayerGraph big = b.build();
        // H100: no int4 compute, so w4a8 and w8a8 both run int8 GEMMs; at batch 1 reading the weights dominates.
        LayerCost w8 = layer(cost(big, "nvidia-h100", "w8a8"), "fc"), w4 = layer(cost(big, "nvidia-h100", "w4a8"), "fc");
        assertEquals("int8", w4.format());
        assertEquals(LayerCost.Bound.MEMORY, w8.bound());
        assertTrue(w4.latencyMs() < w8.latencyMs(), w4.latencyMs() + " vs " + w8.latencyMs());
        // Raspberry Pi 4: weight-only int8 (activations fp32) still computes in fp32 but reads a quarter of the bytes.
        LayerCost f32 = layer(cost(big, "raspberry-pi-4", "w32a32"), "fc"), f8 = layer(cost(big, "raspberry-pi-4", "w8a32"), "fc");
        assertEquals("fp32", f8.format());
        assertEquals(LayerCost.Bound.MEMORY, f32.bound());
        assertTrue(f8.latencyMs() < 0.5 * f32.latencyMs(), f8.latencyMs() + " vs " + f32.latencyMs());
    }

    @Test
    void pruningShrinksConsumersAndHeads() {
        PlanCost full = cost(CNN, "raspberry-pi-4", "w8a8");
        PlanCost half = cost(CNN, "raspberry-pi-4", plan("conv2", 0.5));
        // conv2 keeps 32 of 64 channels: its own MACs halve, and so do dense1's input rows (channel x 7 x 7 after flatten)
        assertEquals(layer(full, "conv2").macs() / 2, layer(half, "conv2").macs());
        assertEquals(layer(full, "dense1").macs() / 2, layer(half, "dense1").macs());
        assertEquals(layer(full, "conv1").macs(), layer(half, "conv1").macs());
        assertTrue(half.total().sizeMb() < full.total().sizeMb());

        PlanCost heads = cost(BERT, "nvidia-t4", plan("encoder.3.attention", 0.5));
        PlanCost bert = cost(BERT, "nvidia-t4", "w8a8");
        assertEquals(layer(bert, "encoder.3.attention").macs() / 2, layer(heads, "encoder.3.attention").macs());
        assertEquals(layer(bert, "encoder.4.attention").macs(), layer(heads, "encoder.4.attention").macs());
    }

    /**
     * After a concat, a reader's cost scales with each merged input's share: pruning half of the 10-channel branch of 16
     * merged channels costs the conv after the merge 5/16 of its MACs, exactly as the physically pruned graph counts them;
     * nothing fuses into a concat.
     */
    @Test
    void concatReadersScaleWithEachInputsShare(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path spec = java.nio.file.Files.writeString(dir.resolve("inception.yaml"), dev.squeeze.model.ConcatGraphs.SPEC);
        LayerGraph g = ArchitectureSpecs.load(spec.toString());
        CompressionPlan plan = new CompressionPlan(new LayerPlan(0, 32, 32), Map.of("b", new LayerPlan(0.5, 32, 32), "d2", new LayerPlan(0.5, 32, 32)),
                CompressionPlan.Distillation.DEFAULT).validate(g, "test");
        LayerGraph pruned = g.pruned(plan, 1);
        PlanCost c = cost(g, "raspberry-pi-4", plan);
        for (var node : pruned.nodes()) assertEquals(node.macs(), layer(c, node.name()).macs(), node.name());
        assertEquals(cost(g, "raspberry-pi-4", "w32a32").layers().stream().filter(l -> l.name().equals("mix")).findFirst().orElseThrow().macs() * 11 / 16,
                layer(c, "mix").macs());
        assertEquals(pruned.params() * 4 / 1e6, c.total().sizeMb(), 1e-12);
        assertEquals(pruned.macs(), c.total().macs());
        assertEquals("b", layer(c, "b_relu").fusedInto());
        assertEquals(null, layer(c, "cat_bn").fusedInto(), "a batch norm after a concat runs on its own");
    }

    @Test
    void batchnormAndActivationsFuseIntoTheirConv() {
        PlanCost c = cost(CNN, "nvidia-t4", "w8a8");
        assertEquals("conv1", layer(c, "bn1").fusedInto());
        assertEquals("conv1", layer(c, "relu1").fusedInto());
        assertEquals(0, layer(c, "relu1").latencyMs());
        assertEquals(c.total().latencyMs(), c.layers().stream().mapToDouble(LayerCost::latencyMs).sum(), 1e-9);
        assertEquals(c.total().energyMj(), c.layers().stream().mapToDouble(LayerCost::energyMj).sum(), 1e-9);
    }

    @Test
    void totalsMatchTheDetailedCosting() {
        CostModel model = CostModel.of(RESNET, Profiles.load("jetson-orin-nano"));
        for (CompressionPlan p : Costing.randomPlans(RESNET, 20, 7)) {
            assertEquals(model.cost(p, 4).total(), model.totals(p, 4));
        }
    }

    @Test
    void objectivesCarryDesignKeysForTheSearch() {
        var o = CostModel.of(CNN, Profiles.load("raspberry-pi-5")).objectives(CompressionPlan.uniform("w8a8"), 1);
        assertTrue(o.keySet().containsAll(java.util.Set.of("latency_ms", "energy_mj", "size_mb", "peak_memory_mb")), o.toString());
        assertTrue(o.get("peak_memory_slack_mb") < 0 && o.get("unsupported_layers") == 0, o.toString());
        assertEquals(64, Profiles.sha256("raspberry-pi-5").length());
    }

    @Test
    void peakMemoryOverCapacityIsFlagged() {
        PlanCost c = CostModel.of(RESNET, Profiles.load("coral-edge-tpu")).cost(CompressionPlan.uniform("w8a8"), 2000);
        assertTrue(!c.total().fitsMemory() && c.warnings().stream().anyMatch(w -> w.startsWith("does not fit")), c.warnings().toString());
    }

    /** The Raspberry Pi 4 profile with extra lines, as a file the loader reads. */
    static HardwareProfile rpi4With(String formatExtra, String extra, java.nio.file.Path dir) throws java.io.IOException {
        String yaml = java.nio.file.Files.readString(java.nio.file.Path.of("hardware-profiles/raspberry-pi-4.yaml"))
                .replace("int8: {peak_ops: 96.0e+9, energy_per_mac_pj: 75.0, align: 8}",
                        "int8: {peak_ops: 96.0e+9, energy_per_mac_pj: 75.0, align: 8" + formatExtra + "}") + extra;
        java.nio.file.Path file = dir.resolve("rpi4-variant.yaml");
        java.nio.file.Files.writeString(file, yaml);
        return Profiles.load(file.toString());
    }

    @Test
    void formatKernelAndRowOverheadsAddToLayersInThatFormatOnly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        HardwareProfile base = Profiles.load("raspberry-pi-4");
        HardwareProfile variant = rpi4With(", kernel_overhead: 4.0e-6, row_overhead: 2.0e-8", "", dir);
        assertEquals(base.kernelOverhead(), variant.spec(Format.FP32).kernelOverhead(), "a format without its own takes the profile's");
        PlanCost before = CostModel.of(CNN, base).cost(CompressionPlan.uniform("w8a8"), 1);
        PlanCost after = CostModel.of(CNN, variant).cost(CompressionPlan.uniform("w8a8"), 1);
        // conv1 is compute-bound: 28x28 output rows at 2e-8 s, and a 4 us kernel instead of the profile's 10 us
        double expected = (28 * 28 * 2.0e-8 + 4.0e-6 - base.kernelOverhead()) * 1e3;
        assertEquals(expected, layer(after, "conv1").latencyMs() - layer(before, "conv1").latencyMs(), 1e-9);
        // pooling has no rows to gather: only its kernel cost changes
        assertEquals((4.0e-6 - base.kernelOverhead()) * 1e3, layer(after, "pool1").latencyMs() - layer(before, "pool1").latencyMs(), 1e-9);
        PlanCost fp32Before = CostModel.of(CNN, base).cost(CompressionPlan.none(), 1);
        PlanCost fp32After = CostModel.of(CNN, variant).cost(CompressionPlan.none(), 1);
        assertEquals(fp32Before.total().latencyMs(), fp32After.total().latencyMs(), 1e-12, "fp32 layers keep their costs");
    }

    @Test
    void cachedWeightsAreReadAtOnChipBandwidth(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        HardwareProfile base = Profiles.load("raspberry-pi-4");
        HardwareProfile variant = rpi4With("", "on_chip_bandwidth: 1.0e+10\n", dir);
        PlanCost before = CostModel.of(CNN, base).cost(CompressionPlan.uniform("w8a8"), 1);
        PlanCost after = CostModel.of(CNN, variant).cost(CompressionPlan.uniform("w8a8"), 1);
        // dense1: 3136 x 128 int8 weights and 128 biases (all cached: the model fits the 1 MB L2) plus 128 4-byte scales, at 10 GB/s,
        // on top of its activation traffic: it becomes memory-bound
        LayerCost dense = layer(after, "dense1");
        assertEquals(LayerCost.Bound.MEMORY, dense.bound());
        double weights = 3136 * 128 + 128 + 128 * 4;
        double expected = (dense.bytes() / base.memoryBandwidth() + weights / 1.0e10 + base.kernelOverhead()) * 1e3;
        assertEquals(expected, dense.latencyMs(), 1e-6);
        assertTrue(after.total().latencyMs() > before.total().latencyMs());
    }
}
