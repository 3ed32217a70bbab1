package dev.squeeze.model.compress;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How ONNX Runtime's integer kernels (QLinearConv, QGemm) turn their int32 sums into output codes, applied where the
 * simulation's {@link ActivationQuant} sits after such a kernel: per output channel {@code k}, the kernel's sum is
 * {@code y / step[k]} (an integer: inputs, weights and bias all lie on their grids, so float rounding cannot move it
 * by half a step), and the code is {@code clamp(rint(float(sum) * multiplier[k]) + zeroPoint)} with
 * {@code multiplier = input scale * weight scale / output scale} in float, round half to even, then the b-bit clip.
 * Near a rounding boundary the two float expressions, {@code rint(y / scale)} and this, can round apart; measured on
 * 2,000 fashion-cnn test images (w8a8, w4a6): where the two simulations' outputs differ (2 images each), this one's is
 * ONNX Runtime's.
 *
 * @param out        the output quantiser
 * @param step       per channel, input scale x weight scale (the sum's unit)
 * @param multiplier per channel, {@code step / out.scale} as ONNX Runtime computes it
 */
public record IntegerRequant(ActivationQuant out, float[] step, float[] multiplier) {
    public IntegerRequant {
        if (out.isFloat16()) throw new IllegalArgumentException("an integer kernel's output is not float16");
        step = step.clone();
        multiplier = multiplier.clone();
    }

    /** A new array: {@code y} ([N, C, ...], channels on axis 1) fake-quantised as the kernel requantises it. */
    public INDArray apply(INDArray y) {
        long[] shape = y.shape();
        int channels = (int) shape[1];
        long inner = 1;
        for (int d = 2; d < shape.length; d++) inner *= shape[d];
        float[] v = Tensors.flat(y);
        int zp = out.zeroPoint(), levels = out.levels();
        float lo = -zp, hi = 255 - zp, scale = out.scale();
        // channel by channel rather than an index division per element: the measured rung runs this on every layer's output
        for (int i = 0; i < v.length; ) {
            for (int k = 0; k < channels; k++) {
                float s = step[k], m = multiplier[k];
                for (long j = 0; j < inner; j++, i++) {
                    float sum = (float) Math.rint(v[i] / s);
                    float f = Math.max(lo, Math.min(hi, sum * m));
                    int q = Math.min(levels, (int) Math.rint(f) + zp);
                    v[i] = (q - zp) * scale;
                }
            }
        }
        return Nd4j.create(v, shape, 'c');
    }
}
