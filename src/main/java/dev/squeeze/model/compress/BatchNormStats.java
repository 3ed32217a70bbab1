package dev.squeeze.model.compress;

import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.Map;

/**
 * A batch norm's inference statistics as float arrays (log-std and locked gamma/beta resolved), and the per-channel
 * factor and shift it amounts to: {@code bn(y) = factor * y + shift}, {@code factor = gamma / sqrt(var + eps)},
 * {@code shift = beta - mean * factor}.
 */
public record BatchNormStats(float[] gamma, float[] beta, float[] mean, float[] var) {
    public static BatchNormStats of(BatchNormalization bn, Map<String, INDArray> params) {
        float[] mean = Tensors.flat(params.get("mean"));
        int c = mean.length;
        float[] var;
        if (bn.isUseLogStd()) {
            // DL4J stores log10(std) and runs with var = (10^log10std)^2 (then adds eps like any batch norm)
            float[] log10std = Tensors.flat(params.get("log10stdev"));
            var = new float[c];
            for (int i = 0; i < c; i++) {
                float std = (float) Math.pow(10, log10std[i]);
                var[i] = std * std;
            }
        } else {
            var = Tensors.flat(params.get("var"));
        }
        float[] gamma, beta;
        if (bn.isLockGammaBeta()) {
            gamma = new float[c];
            beta = new float[c];
            Arrays.fill(gamma, (float) bn.getGamma());
            Arrays.fill(beta, (float) bn.getBeta());
        } else {
            gamma = Tensors.flat(params.get("gamma"));
            beta = Tensors.flat(params.get("beta"));
        }
        return new BatchNormStats(gamma, beta, mean, var);
    }

    /** {@code gamma / sqrt(var + eps)} of channel {@code k}, in double (export rounds it to float once). */
    public double factor(int k, double eps) {
        return gamma[k] / Math.sqrt(var[k] + eps);
    }
}
