package dev.squeeze.model.compress;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Knowledge-distillation loss on the output layer's logits z:
 * {@code alpha * CE(y, softmax(z)) + (1 - alpha) * T^2 * KL(p_T || softmax(z / T))}, where labels are packed
 * as {@code [one-hot y | teacher probabilities at T, p_T]} (2 x classes columns). The gradient with respect to
 * z is {@code alpha (softmax(z) - y) + (1 - alpha) T (softmax(z/T) - p_T)} (Hinton et al. 2015). Immutable.
 */
public final class DistillationLoss implements ILossFunction {
    private final double temperature;
    private final double alpha;

    public DistillationLoss(double temperature, double alpha) {
        this.temperature = temperature;
        this.alpha = alpha;
    }

    /** Packs hard labels and the teacher's softened probabilities (from its probabilities at T=1) into one label array. */
    public static INDArray pack(INDArray oneHot, INDArray teacherProbabilities, double temperature) {
        // softmax(log p / T) = p^(1/T) / sum p^(1/T)
        INDArray soft = Transforms.pow(Transforms.max(teacherProbabilities, 1e-12, true), 1.0 / temperature, false);
        soft.diviColumnVector(soft.sum(1));
        return org.nd4j.linalg.factory.Nd4j.hstack(oneHot, soft);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        int c = (int) preOutput.size(1);
        INDArray y = labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, c));
        INDArray pT = labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(c, 2 * c));
        INDArray logP = logSoftmax(preOutput, 1);
        INDArray logQT = logSoftmax(preOutput, temperature);
        INDArray ce = y.mul(logP).sum(1).negi();
        INDArray kl = pT.mul(Transforms.log(Transforms.max(pT, 1e-12, true), false).subi(logQT)).sum(1);
        return ce.muli(alpha).addi(kl.muli((1 - alpha) * temperature * temperature)).reshape(preOutput.size(0), 1);
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean average) {
        double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? sum / preOutput.size(0) : sum;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        int c = (int) preOutput.size(1);
        INDArray y = labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, c));
        INDArray pT = labels.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(c, 2 * c));
        INDArray hard = Transforms.exp(logSoftmax(preOutput, 1), false).subi(y).muli(alpha);
        INDArray soft = Transforms.exp(logSoftmax(preOutput, temperature), false).subi(pT).muli((1 - alpha) * temperature);
        return hard.addi(soft);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput, IActivation activationFn,
                                                          INDArray mask, boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average), computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public String name() {
        return "distillation(T=" + temperature + ", alpha=" + alpha + ")";
    }

    /** log softmax(z / T), row-wise and numerically stable. */
    private static INDArray logSoftmax(INDArray z, double t) {
        INDArray s = z.div(t);
        s.subiColumnVector(s.max(1));
        INDArray lse = Transforms.log(Transforms.exp(s, true).sum(1), false);
        return s.subiColumnVector(lse);
    }

    @Override
    public String toString() {
        return name();
    }
}
