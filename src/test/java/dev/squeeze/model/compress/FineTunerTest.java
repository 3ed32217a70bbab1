package dev.squeeze.model.compress;

import dev.squeeze.Progress;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FineTunerTest {

    /** The hand-written training step updates the parameters exactly as DL4J's own fit does. */
    @Test
    void manualStepEqualsDl4jFit() {
        ModelHandle m = ModelStore.load("fashion-attention"); // no dropout, so both runs are deterministic
        assertStepEqualsFit("fashion-attention", m.multiLayer(), m.encoding());
    }

    /**
     * The same on the computation-graph baselines: a residual add passes its gradient to both its inputs (the stem's ReLU
     * sums what the first block's conv and shortcut send back), a depthwise conv to its input, batch norms update their
     * running statistics as DL4J's fit does.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = dev.squeeze.model.Architecture.class, names = {"RESNET", "MOBILENET"})
    void manualStepEqualsDl4jFitOnGraphs(dev.squeeze.model.Architecture arch) {
        dev.squeeze.model.Backend.init();
        assertStepEqualsFit(arch.builtInName(), arch.build(3, 10, 1), arch.encoding());
    }

    /** Three steps of FineTuner.step and of DL4J's fit on one batch of 32, from {@code network}: parameters within 1e-5. */
    private static void assertStepEqualsFit(String name, org.deeplearning4j.nn.api.Model network, InputEncoding encoding) {
        Images batch = TestData.splits().train().head(32);
        INDArray x = encoding.features(batch, 0, 32);
        INDArray labels = DistillationLoss.pack(InputEncoding.oneHot(batch, 0, 32), dev.squeeze.model.Accuracy.output(network, x), 4);
        var loss = new DistillationLoss(4, 0.3);
        var viaFit = FineTuner.trainable(network, new org.nd4j.linalg.schedule.FixedSchedule(1e-3), loss);
        var viaStep = FineTuner.trainable(network, new org.nd4j.linalg.schedule.FixedSchedule(1e-3), loss);
        var data = new org.nd4j.linalg.dataset.DataSet(x, labels);
        for (int i = 0; i < 3; i++) {
            if (viaFit instanceof MultiLayerNetwork mln) mln.fit(data);
            else ((org.deeplearning4j.nn.graph.ComputationGraph) viaFit).fit(data);
            FineTuner.step(viaStep, Topology.of(viaStep), x, labels, Map.of(), Map.of(), 0);
        }
        float[] a = viaFit.params().toFloatVector(), b = viaStep.params().toFloatVector();
        float max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        System.out.printf("%s: hand-written step vs DL4J fit, 3 steps: max parameter difference %.2e%n", name, max);
        assertTrue(max < 1e-5, "max parameter difference " + max);
        assertTrue(viaFit.params().sub(network.params()).amaxNumber().doubleValue() > 1e-4, "nothing was trained");
    }

    /** Distillation with a feature term and quantisation-aware steps recovers a damaged, physically pruned network. */
    @Test
    void distillationRecoversAPrunedQuantisedNetwork() {
        ModelHandle m = ModelStore.load("fashion-cnn");
        DataSplits s = TestData.splits();
        var plan = new CompressionPlan(new CompressionPlan.LayerPlan(0, 4, 8), Map.of("conv2", new CompressionPlan.LayerPlan(0.75, 4, 8)),
                new CompressionPlan.Distillation(4, 0.3, List.of("relu2"))).validate(m.graph(), "test");
        var compressor = new Compressor(m, Compressor.Options.DEFAULT, s.calibration());
        var pruned = compressor.prune(plan);
        Images eval = s.calibration().head(1000);
        double before = compressor.quantize(pruned, plan).accuracy(eval, m.encoding());
        var settings = new FineTuner.Settings(150.0 * 64 / s.train().count(), 64, 3e-4, true, 1.0, 7);
        var tuned = FineTuner.fineTune(pruned.network(), pruned.graph(), pruned.selection(), FineTuner.Teacher.of(m.multiLayer(), m.graph()), plan,
                s.train(), m.encoding(), settings, Progress.NONE);
        double after = compressor.quantize(new Compressor.Pruned(tuned.network(), pruned.graph(), pruned.selection()), plan)
                .accuracy(eval, m.encoding());
        System.out.printf("conv2 pruned 75%% + w4a8: %.4f -> %.4f after %d KD steps (%.1f s)%n", before, after, tuned.steps(), tuned.seconds());
        assertTrue(after > before + 0.02, before + " -> " + after);
        assertArrayEquals(new long[]{16, 32, 3, 3}, ((MultiLayerNetwork) tuned.network()).getLayer(4).getParam("W").shape(), "the student stays pruned");
    }

    /**
     * Distilling from the teacher's outputs computed once for the split fine-tunes as running the teacher on every
     * batch does: same steps, same loss, same parameters (computed on first use, the rows come from the very batches the
     * per-step teacher sees; the bound allows for a kernel that blocks a batch differently).
     */
    @Test
    void teacherOutputsComputedOnceFineTuneAsATeacherRunPerStep() {
        ModelHandle m = ModelStore.load("fashion-cnn");
        DataSplits s = TestData.splits();
        var plan = new CompressionPlan(new CompressionPlan.LayerPlan(0, 8, 8), Map.of("conv2", new CompressionPlan.LayerPlan(0.5, 4, 8)),
                CompressionPlan.Distillation.DEFAULT).validate(m.graph(), "test");
        var pruned = new Compressor(m, Compressor.Options.DEFAULT, s.calibration()).prune(plan);
        Images train = s.train().head(40 * 32);
        var settings = new FineTuner.Settings(1, 32, 1e-3, true, 1.0, 7);
        var perStep = FineTuner.fineTune(pruned.network(), pruned.graph(), pruned.selection(), FineTuner.Teacher.of(m.multiLayer(), m.graph()),
                plan, train, m.encoding(), settings, Progress.NONE);
        var once = FineTuner.fineTune(pruned.network(), pruned.graph(), pruned.selection(),
                new FineTuner.Teacher(m.multiLayer(), m.graph(), new TeacherOutputs(m.multiLayer(), train, m.encoding())),
                plan, train, m.encoding(), settings, Progress.NONE);
        assertEquals(perStep.steps(), once.steps());
        // quantisation-aware steps round weights to codes, so a last-bit difference can move a code: close, not equal
        assertEquals(perStep.finalLoss(), once.finalLoss(), 2e-3);
        double moved = perStep.network().params().sub(pruned.network().params()).norm2Number().doubleValue();
        double apart = perStep.network().params().sub(once.network().params()).norm2Number().doubleValue();
        System.out.printf("teacher outputs once vs per step: loss %.5f vs %.5f, parameters %.2e apart, moved %.2e%n",
                once.finalLoss(), perStep.finalLoss(), apart, moved);
        assertTrue(apart < moved * 0.05, "parameters " + apart + " apart, moved " + moved);
    }

    /** A fine-tune shorter than an epoch has the teacher run on the images it drew and no others; a second one reuses them. */
    @Test
    void teacherOutputsAreComputedForTheImagesDrawnOnly() {
        ModelHandle m = ModelStore.load("fashion-cnn");
        DataSplits s = TestData.splits();
        var plan = CompressionPlan.uniform("w8a8").validate(m.graph(), "test");
        Images train = s.train().head(20 * 32);
        var outputs = new TeacherOutputs(m.multiLayer(), train, m.encoding());
        var teacher = new FineTuner.Teacher(m.multiLayer(), m.graph(), outputs);
        var settings = new FineTuner.Settings(0.25, 32, 1e-3, false, 1.0, 7);
        FineTuner.fineTune(m.multiLayer(), m.graph(), UnitSelection.NONE, teacher, plan, train, m.encoding(), settings, Progress.NONE);
        assertEquals(5 * 32, outputs.computedRows(), "five steps of 32 distinct images");
        FineTuner.fineTune(m.multiLayer(), m.graph(), UnitSelection.NONE, teacher, plan, train, m.encoding(), settings, Progress.NONE);
        assertEquals(5 * 32, outputs.computedRows(), "the same seed draws the same images");
        var rows = outputs.rows(new int[]{3, 1});
        var direct = m.multiLayer().output(m.encoding().features(train.subset(new int[]{3, 1}), 0, 2), false);
        assertTrue(rows.equalsWithEps(direct, 1e-5), rows + " vs " + direct);
    }

    /** Outputs computed for one split are refused for another. */
    @Test
    void teacherOutputsOfAnotherSplitAreRefused() {
        ModelHandle m = ModelStore.load("fashion-cnn");
        DataSplits s = TestData.splits();
        var plan = CompressionPlan.uniform("w8a8");
        var teacher = new FineTuner.Teacher(m.multiLayer(), m.graph(), new TeacherOutputs(m.multiLayer(), s.train().head(64), m.encoding()));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> FineTuner.fineTune(m.multiLayer(), m.graph(),
                UnitSelection.NONE, teacher, plan, s.train().head(128), m.encoding(), FineTuner.Settings.DEFAULT, Progress.NONE));
        assertTrue(e.getMessage().contains("another train split"), e.getMessage());
    }

    /** A progressive schedule prunes in steps and names the finally kept heads in the original numbering. */
    @Test
    void progressivePruningReachesThePlanInSteps() {
        ModelHandle m = ModelStore.load("fashion-attention");
        DataSplits s = TestData.splits();
        var plan = new CompressionPlan(CompressionPlan.NONE, Map.of("attention", new CompressionPlan.LayerPlan(0.75, 32, 32),
                "dense1", new CompressionPlan.LayerPlan(0.5, 32, 32)), CompressionPlan.Distillation.DEFAULT).validate(m.graph(), "test");
        var compressor = new Compressor(m, new Compressor.Options(Importance.TAYLOR, 1, ActivationCalibration.MINMAX, 500), s.calibration());
        var log = new java.util.ArrayList<String>();
        Progress progress = new Progress() {
            public void update(String status) {}
            public void log(String line) { log.add(line); }
        };
        var settings = new FineTuner.Settings(2 * 20.0 * 64 / s.train().count(), 64, 1e-3, false, 1.0, 3);
        var pruned = compressor.pruneAndFineTune(plan, 2, s.train(), settings, progress);
        assertEquals(m.graph().pruned(plan, 1).params(), pruned.graph().params());
        assertEquals(1, pruned.selection().keptOf("attention").length);
        assertEquals(64, pruned.selection().keptOf("dense1").length);
        int[] heads = pruned.selection().keptOf("attention");
        assertTrue(heads[0] >= 0 && heads[0] < 4);
        assertTrue(log.stream().anyMatch(l -> l.startsWith("progressive step 1/2")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("progressive step 2/2")), log.toString());
        assertTrue(log.stream().filter(l -> l.startsWith("fine-tune epoch")).count() >= 2, "fine-tuning between steps: " + log);
        double acc = compressor.quantize(pruned, plan).accuracy(s.calibration().head(500), m.encoding());
        assertTrue(acc > 0.3, "still a classifier: " + acc);
    }
}
