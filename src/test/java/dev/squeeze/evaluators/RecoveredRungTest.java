package dev.squeeze.evaluators;

import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.TeacherOutputs;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The recovered rung fine-tunes candidates in parallel, each distilling from the uncompressed network. A
 * candidate's recovered accuracy must not depend on what the other worker is fine-tuning at the same time.
 */
class RecoveredRungTest {
    @Test
    void parallelRecoveriesGiveWhatEachGivesAlone() {
        ModelHandle model = ModelStore.load("fashion-cnn");
        DataSplits splits = TestData.splits();
        var shared = MeasuredAccuracy.Shared.of(model, splits.calibration().head(300), Compressor.Options.DEFAULT,
                MeasuredAccuracy.Runtime.ONNX_RUNTIME);
        var recovery = new EvaluatorSpec.Recovery(30, 32, 2, 2);
        Images train = splits.trainHead(recovery.steps() * recovery.batch());
        var teacher = new TeacherOutputs(model.multiLayer(), train, model.encoding()); // one for both workers, as a search has
        List<CompressionPlan> plans = List.of(plan("conv2", "dense1"), plan("conv1", "dense1"));

        double[] alone = new double[plans.size()];
        for (int i = 0; i < alone.length; i++) alone[i] = new MeasuredAccuracy(shared, recovery, teacher, new dev.squeeze.StopRequest()).quality(plans.get(i));
        try (var parallel = new ParallelEvaluator(2, () -> new MeasuredAccuracy(shared, recovery, teacher, new dev.squeeze.StopRequest()), p -> Map.of(),
                new dev.squeeze.results.EvaluatedBy("test", "-", "two workers"), new dev.squeeze.StopRequest())) {
            List<Evaluation> together = parallel.evaluate(plans);
            for (int i = 0; i < alone.length; i++) {
                assertEquals(alone[i], together.get(i).values().get("accuracy"), "plan " + plans.get(i).key()
                        + ": recovered accuracy fine-tuned beside another plan differs from fine-tuned alone");
            }
        }
    }

    /** The two named layers at half their units, w8a8 everywhere. */
    private static CompressionPlan plan(String a, String b) {
        var half = new CompressionPlan.LayerPlan(0.5, 8, 8);
        return new CompressionPlan(new CompressionPlan.LayerPlan(0, 8, 8), Map.of(a, half, b, half), CompressionPlan.Distillation.DEFAULT);
    }
}
