package dev.squeeze.evaluators;

import dev.squeeze.ConfigFiles;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.Images;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.results.Objective;
import dev.squeeze.spaces.SearchSpace;
import dev.squeeze.spaces.SpaceLoader;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The quality metrics: exact on hand-made outputs, and on real plans the label-free ranking is the labelled one. */
class QualityMeasureTest {
    /** Two images, three classes: the reference says class 0 then class 2. */
    private static final float[][] REFERENCE = {{0.7f, 0.2f, 0.1f}, {0.1f, 0.3f, 0.6f}};

    private static Function<INDArray, INDArray> constant(float[][] rows) {
        return features -> Nd4j.create(rows);
    }

    private static QualityMeasure measure(Objective metric, int[] labels) {
        var images = new Accuracy.Encoded(List.of(Nd4j.zeros(2, 1)), labels);
        return QualityMeasure.of(metric, images, constant(REFERENCE));
    }

    @Test
    void metricsOnHandMadeOutputs() {
        float[][] other = {{0.2f, 0.5f, 0.3f}, {0.1f, 0.2f, 0.7f}}; // class 1, then class 2
        int[] labels = {0, 1};
        assertEquals(0.0, measure(Objective.ACCURACY, labels).of(constant(other)), 1e-12);
        assertEquals(1.0, measure(Objective.TOP5_ACCURACY, labels).of(constant(other)), 1e-12, "three classes: every label is in the top 5");
        assertEquals(0.5, measure(Objective.AGREEMENT, null).of(constant(other)), 1e-12);
        assertEquals(1.0, measure(Objective.AGREEMENT, null).of(constant(REFERENCE)), 1e-12);
        assertEquals(1.0, measure(Objective.OUTPUT_COSINE, null).of(constant(REFERENCE)), 1e-6);
        assertEquals(0.0, measure(Objective.OUTPUT_KL, null).of(constant(REFERENCE)), 1e-7);

        double cos0 = (0.7 * 0.2 + 0.2 * 0.5 + 0.1 * 0.3) / Math.sqrt((0.49 + 0.04 + 0.01) * (0.04 + 0.25 + 0.09));
        double cos1 = (0.01 + 0.06 + 0.42) / Math.sqrt((0.01 + 0.09 + 0.36) * (0.01 + 0.04 + 0.49));
        assertEquals((cos0 + cos1) / 2, measure(Objective.OUTPUT_COSINE, null).of(constant(other)), 1e-6);
        double kl0 = 0.7 * Math.log(0.7 / 0.2) + 0.2 * Math.log(0.2 / 0.5) + 0.1 * Math.log(0.1 / 0.3);
        double kl1 = 0.1 * Math.log(1.0) + 0.3 * Math.log(0.3 / 0.2) + 0.6 * Math.log(0.6 / 0.7);
        assertEquals((kl0 + kl1) / 2, measure(Objective.OUTPUT_KL, null).of(constant(other)), 1e-6);
    }

    @Test
    void logitsAreReadAsTheirSoftmaxForKl() {
        float[][] logits = new float[2][3];
        for (int r = 0; r < 2; r++) for (int j = 0; j < 3; j++) logits[r][j] = (float) Math.log(REFERENCE[r][j]) + 5; // softmax = REFERENCE
        assertEquals(0.0, measure(Objective.OUTPUT_KL, null).of(constant(logits)), 1e-6);
    }

    @Test
    void labelledMetricsOnUnlabelledDataSayWhatToMeasureInstead() {
        var e = assertThrows(SqueezeException.class, () -> measure(Objective.ACCURACY, null));
        assertTrue(e.getMessage().contains("measure agreement, output_cosine or output_kl"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> measure(Objective.LATENCY_MS, null));
    }

    /**
     * Issue 17's label-free acceptance: on 40 plans of fashion-cnn's space, drawn at random, the ranking by agreement
     * with the uncompressed model (no labels) matches the ranking by labelled accuracy, Kendall tau >= 0.7; both read
     * from one pass of each compressed model over the same 1,000 calibration images.
     */
    @Test
    void agreementRanksFortyPlansAsAccuracyDoes() {
        ModelHandle model = ModelStore.load("fashion-cnn");
        Images images = TestData.splits().calibration().head(1000);
        var encoded = Accuracy.Encoded.of(images, model.encoding());
        Function<INDArray, INDArray> uncompressed = f -> Accuracy.output(model.network(), f);
        var accuracy = QualityMeasure.of(Objective.ACCURACY, encoded, uncompressed);
        var agreement = QualityMeasure.of(Objective.AGREEMENT, encoded, uncompressed);
        var cosine = QualityMeasure.of(Objective.OUTPUT_COSINE, encoded, uncompressed);
        var kl = QualityMeasure.of(Objective.OUTPUT_KL, encoded, uncompressed);
        SearchSpace space = SpaceLoader.resolve(ConfigFiles.find("spaces/fashion-cnn.yaml", "spaces", "space").yaml(), model.graph());
        var compressor = new Compressor(model, Compressor.Options.DEFAULT, images);
        var random = new Random(17);
        int n = 40;
        double[] acc = new double[n], agr = new double[n], cos = new double[n], negKl = new double[n];
        for (int i = 0; i < n; i++) {
            int[] genes = new int[space.genes().size()];
            for (int g = 0; g < genes.length; g++) genes[g] = random.nextInt(space.genes().get(g).values().size());
            CompressionPlan plan = space.plan(genes);
            try (CompressedModel c = compressor.apply(plan)) {
                var outputs = accuracy.outputs(c::output);
                acc[i] = accuracy.of(outputs);
                agr[i] = agreement.of(outputs);
                cos[i] = cosine.of(outputs);
                negKl[i] = -kl.of(outputs);
            }
        }
        var kendall = new KendallsCorrelation();
        double tau = kendall.correlation(agr, acc);
        System.out.printf("label-free ranking on %d plans of fashion-cnn (1,000 calibration images): Kendall tau against accuracy: "
                        + "agreement %.3f, output_cosine %.3f, output_kl %.3f; accuracy %.4f-%.4f%n", n, tau, kendall.correlation(cos, acc),
                kendall.correlation(negKl, acc), java.util.Arrays.stream(acc).min().orElseThrow(), java.util.Arrays.stream(acc).max().orElseThrow());
        assertTrue(tau >= 0.7, "agreement ranks the plans as accuracy does: Kendall tau " + tau);
        // the hard part of the ranking: the plans a search weighs against each other, within 5 points of the best
        double best = java.util.Arrays.stream(acc).max().orElseThrow();
        int[] close = java.util.stream.IntStream.range(0, n).filter(i -> acc[i] >= best - 0.05).toArray();
        double closeTau = kendall.correlation(java.util.Arrays.stream(close).mapToDouble(i -> agr[i]).toArray(),
                java.util.Arrays.stream(close).mapToDouble(i -> acc[i]).toArray());
        System.out.printf("  among the %d plans within 5 points of the best: agreement's Kendall tau %.3f%n", close.length, closeTau);
        assertTrue(close.length < 8 || closeTau >= 0.5, "within 5 points of the best, agreement still ranks as accuracy: tau " + closeTau);
    }
}
