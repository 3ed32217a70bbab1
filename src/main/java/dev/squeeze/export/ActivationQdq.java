package dev.squeeze.export;

/**
 * Fake quantisation of one layer's output, as the ONNX model computes it.
 *
 * <p>bits 2..8: per-tensor asymmetric, {@code levels = 2^bits - 1}, value {@code x -> (clamp(rint(x/scale) + zeroPoint,
 * 0, levels) - zeroPoint) * scale} with round half to even (QuantizeLinear's rounding). ONNX opset 13 has only
 * 8-bit QuantizeLinear, so the writer clips {@code x} to the b-bit range first; after that clip the uint8
 * QuantizeLinear never leaves {@code [0, levels]} and equals b-bit fake quant exactly.
 * <p>bits 16: a round trip through float16 ({@code scale} and {@code zeroPoint} unused, 1 and 0 by convention).
 */
public record ActivationQdq(int bits, float scale, int zeroPoint) {
    public static final int FLOAT16 = 16;

    public ActivationQdq {
        if (bits == FLOAT16) {
            if (scale != 1f || zeroPoint != 0) throw new IllegalArgumentException("float16 takes no scale or zero point (use fp16())");
        } else {
            if (bits < 2 || bits > 8) throw new IllegalArgumentException("activation bits must be 2..8 or 16, not " + bits);
            if (!(scale > 0) || !Float.isFinite(scale)) throw new IllegalArgumentException("scale must be positive and finite, not " + scale);
            int levels = (1 << bits) - 1;
            if (zeroPoint < 0 || zeroPoint > levels) {
                throw new IllegalArgumentException("zero point " + zeroPoint + " is outside 0.." + levels + " for " + bits + " bits");
            }
        }
    }

    /** Round trip through float16. */
    public static ActivationQdq fp16() {
        return new ActivationQdq(FLOAT16, 1f, 0);
    }

    /**
     * The usual min/max calibration: the range is widened to hold 0 (so zero, e.g. ReLU's output, is exact),
     * {@code scale = (max - min) / levels}, zero point {@code rint(-min / scale)}.
     */
    public static ActivationQdq ofRange(int bits, float min, float max) {
        if (bits < 2 || bits > 8) throw new IllegalArgumentException("activation bits must be 2..8, not " + bits);
        float lo = Math.min(min, 0f), hi = Math.max(max, 0f);
        int levels = (1 << bits) - 1;
        float scale = hi > lo ? (hi - lo) / levels : 1f;
        int zp = (int) Math.max(0, Math.min(levels, Math.rint(-lo / scale)));
        return new ActivationQdq(bits, scale, zp);
    }

    public boolean isFloat16() {
        return bits == FLOAT16;
    }

    /** Highest quantised level, {@code 2^bits - 1} (not meaningful for float16). */
    public int levels() {
        return (1 << bits) - 1;
    }
}
