package dev.squeeze.model.compress;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weight quantisation arithmetic on rows (one row per output channel), with QuantizeLinear semantics:
 * {@code q = saturate(rint(w / scale))}, rint rounding half to even. Pure functions, so the tests can check
 * them against hand-computed vectors.
 */
public final class Quantization {
    private Quantization() {}

    /** Largest symmetric code at {@code bits}: 127 for 8 bits, 7 for 4. */
    public static int qmax(int bits) {
        return (1 << (bits - 1)) - 1;
    }

    /**
     * Per-row symmetric scales {@code max|row| / qmax}. An all-zero row gets scale 1: its codes are all 0
     * whatever the scale, and a deployed DequantizeLinear needs a positive one.
     */
    public static float[] symmetricScales(float[] rows, int nRows, int bits) {
        int len = rows.length / nRows;
        float[] scales = new float[nRows];
        for (int r = 0; r < nRows; r++) {
            float max = 0;
            for (int i = r * len; i < (r + 1) * len; i++) max = Math.max(max, Math.abs(rows[i]));
            scales[r] = max == 0 ? 1f : max / qmax(bits);
        }
        return scales;
    }

    /** Integer codes {@code clamp(rint(w / scale), -qmax, qmax)}, row by row. */
    public static int[] codes(float[] rows, float[] scales, int bits) {
        int len = rows.length / scales.length, q = qmax(bits);
        int[] codes = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            double c = Math.rint(rows[i] / scales[i / len]); // float division, as ONNX does it
            codes[i] = (int) Math.max(-q, Math.min(q, c));
        }
        return codes;
    }

    /** The values a deployed model computes with: {@code code * scale}. */
    public static float[] dequantize(int[] codes, float[] scales) {
        int len = codes.length / scales.length;
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) out[i] = codes[i] * scales[i / len];
        return out;
    }

    /** Rounds every value to the nearest IEEE half-precision number (ties to even), as an fp16 deployment stores it. */
    public static INDArray fp16(INDArray x) {
        INDArray half = x.castTo(DataType.HALF);
        INDArray back = half.castTo(x.dataType());
        dev.squeeze.model.Backend.release(half);
        return back;
    }

    /** A weight laid out as rows, one per output channel along {@code axis}. */
    static float[] rows(INDArray w, int axis) {
        if (axis == 0) return Tensors.flat(w);
        return Tensors.flat(w.permute(axisFirst(w.rank(), axis)));
    }

    /** The axis order that brings {@code axis} to the front and keeps the others in order. */
    private static int[] axisFirst(int rank, int axis) {
        int[] order = new int[rank];
        order[0] = axis;
        for (int d = 0, k = 1; d < rank; d++) if (d != axis) order[k++] = d;
        return order;
    }

    /** The inverse of {@link #rows}: values back in the weight's own shape. */
    static INDArray fromRows(float[] rows, long[] shape, int axis) {
        if (axis == 0) return org.nd4j.linalg.factory.Nd4j.create(rows, shape, 'c');
        long[] permuted = new long[shape.length];
        int[] order = axisFirst(shape.length, axis);
        for (int d = 0; d < shape.length; d++) permuted[d] = shape[order[d]];
        int[] inverse = new int[order.length];
        for (int d = 0; d < order.length; d++) inverse[order[d]] = d;
        INDArray permutedRows = org.nd4j.linalg.factory.Nd4j.create(rows, permuted, 'c');
        INDArray out = permutedRows.permute(inverse).dup('c');
        dev.squeeze.model.Backend.release(permutedRows);
        return out;
    }
}
