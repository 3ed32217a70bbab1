package dev.squeeze.model;

import dev.squeeze.data.Images;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.NeuralNetwork;
import org.nd4j.linalg.dataset.DataSet;

import java.util.EnumMap;
import java.util.Map;

/**
 * The two graph baselines (fashion-resnet, fashion-mobilenet) as tests can have them before their trained zips exist:
 * built by {@link Architecture} and trained {@value #STEPS} steps of {@value #BATCH} train images, which takes seconds
 * and leaves predictions far from degenerate (measured on 1,000 test images: fashion-resnet 0.77, fashion-mobilenet
 * 0.47). Trained once per test JVM.
 */
public final class TrainedGraphs {
    public static final int STEPS = 60;
    public static final int BATCH = 32;

    private static final Map<Architecture, ModelHandle> TRAINED = new EnumMap<>(Architecture.class);

    private TrainedGraphs() {}

    public static synchronized ModelHandle of(Architecture arch) {
        return TRAINED.computeIfAbsent(arch, TrainedGraphs::train);
    }

    /**
     * Every group pruned by an eighth, all weights and activations int8 (these briefly trained networks lose most of their
     * accuracy when every group loses a quarter: fashion-resnet 0.77 -> 0.18 on 1,000 test images, float, no fine-tune).
     */
    public static CompressionPlan prunedW8a8(ModelHandle m) {
        return CompressionPlan.uniform("w8a8p0.125").validate(m.graph(), "test");
    }

    /**
     * Mostly w8a8 with 4- and 6-bit layers, a float32 and a float16 one, and uneven pruning: for the ResNet a 4-bit pruned
     * first conv, a float stage-2 conv (so the next conv reads floats), a 6-bit pruned add group; for the MobileNet a
     * 4-bit pruned pointwise conv, a float depthwise conv, a float16 block; both a 4-bit classifier.
     */
    public static CompressionPlan mixed(ModelHandle m) {
        var layers = m.graph().has("stage1.conv1")
                ? Map.of("stage1.conv1", new CompressionPlan.LayerPlan(0.5, 4, 8), "stage2.conv1", new CompressionPlan.LayerPlan(0, 32, 32),
                "stage3.conv2", new CompressionPlan.LayerPlan(0.5, 6, 6), "output", new CompressionPlan.LayerPlan(0, 4, 8))
                : Map.of("block2.pw", new CompressionPlan.LayerPlan(0.5, 4, 8), "block3.dw", new CompressionPlan.LayerPlan(0, 32, 32),
                "block4.pw", new CompressionPlan.LayerPlan(0, 16, 16), "block5.pw", new CompressionPlan.LayerPlan(0.25, 6, 6),
                "output", new CompressionPlan.LayerPlan(0, 4, 8));
        return new CompressionPlan(new CompressionPlan.LayerPlan(0, 8, 8), layers, CompressionPlan.Distillation.DEFAULT).validate(m.graph(), "test");
    }

    private static ModelHandle train(Architecture arch) {
        Backend.init();
        Model net = arch.build(7, STEPS, 1);
        Images train = TestData.splits().train().head(STEPS * BATCH);
        for (int step = 0; step < STEPS; step++) {
            DataSet batch = arch.encoding().batch(train, step * BATCH, (step + 1) * BATCH);
            ((NeuralNetwork) net).fit(batch);
            Backend.release(batch.getFeatures(), batch.getLabels());
        }
        LayerGraph graph = Dl4jGraphs.of(arch.builtInName(), net, arch.inputShape());
        return new ModelHandle(arch.builtInName(), "test:" + STEPS + " steps", net, null, graph, arch.encoding());
    }
}
