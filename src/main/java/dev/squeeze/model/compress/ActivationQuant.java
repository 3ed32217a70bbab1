package dev.squeeze.model.compress;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Rint;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Per-tensor asymmetric fake quantisation of one layer output, as QuantizeLinear then DequantizeLinear
 * compute it: {@code q = clamp(rint(x / scale) + zeroPoint, 0, 2^bits - 1)}, {@code x' = (q - zeroPoint) * scale}.
 * At 16 bits the output is rounded to fp16 and scale/zero point are unused.
 */
public record ActivationQuant(int bits, float scale, int zeroPoint) {
    public static final ActivationQuant FP16 = new ActivationQuant(16, 1f, 0);

    public ActivationQuant {
        if (bits == 16) {
            if (scale != 1f || zeroPoint != 0) throw new IllegalArgumentException("float16 takes no scale or zero point (use FP16)");
        } else {
            if (bits < 2 || bits > 8) throw new IllegalArgumentException("activation bits must be 2..8 or 16, not " + bits);
            if (!(scale > 0) || !Float.isFinite(scale)) throw new IllegalArgumentException("scale must be positive and finite, not " + scale);
            if (zeroPoint < 0 || zeroPoint > levels(bits)) {
                throw new IllegalArgumentException("zero point " + zeroPoint + " is outside 0.." + levels(bits) + " for " + bits + " bits");
            }
        }
    }

    public boolean isFloat16() {
        return bits == 16;
    }

    /** Highest quantised level, {@code 2^bits - 1} (not meaningful for float16). */
    public int levels() {
        return levels(bits);
    }

    /** The quantiser whose range covers {@code [lo, hi]} widened to include 0, so that 0 is exact. */
    public static ActivationQuant ofRange(double lo, double hi, int bits) {
        if (bits == 16) return FP16;
        lo = Math.min(lo, 0);
        hi = Math.max(hi, 0);
        int levels = levels(bits);
        float scale = (float) Math.max((hi - lo) / levels, 1e-8);
        int zero = (int) Math.max(0, Math.min(levels, Math.rint(-lo / scale)));
        return new ActivationQuant(bits, scale, zero);
    }

    public static int levels(int bits) {
        return (1 << bits) - 1;
    }

    public double min() {
        return -zeroPoint * (double) scale;
    }

    public double max() {
        return (levels(bits) - zeroPoint) * (double) scale;
    }

    /** A new array of fake-quantised values. */
    public INDArray apply(INDArray x) {
        if (bits == 16) return Quantization.fp16(x);
        INDArray q = x.div(scale);
        Nd4j.exec(new Rint(q, q));
        q.addi(zeroPoint);
        q = Transforms.min(Transforms.max(q, 0, false), levels(bits), false);
        return q.subi(zeroPoint).muli(scale);
    }

    /** One value, for tests and calibration: the same arithmetic as {@link #apply(INDArray)}. */
    public float apply(float x) {
        double q = Math.rint(x / scale) + zeroPoint;
        q = Math.max(0, Math.min(levels(bits), q));
        return (float) ((q - zeroPoint) * scale);
    }
}
