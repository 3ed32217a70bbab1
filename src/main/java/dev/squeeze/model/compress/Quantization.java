package dev.squeeze.model.compress;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weight quantisation arithmetic on rows (one row per output channel, its values along the reduction), with
 * QuantizeLinear semantics: {@code q = saturate(rint(w / scale))}, rint rounding half to even; a row has one scale,
 * or one per block of consecutive values (what ONNX Runtime's MatMulNBits takes). Pure functions, so the tests can
 * check them against hand-computed vectors.
 */
public final class Quantization {
    private Quantization() {}

    /**
     * Largest symmetric code at {@code bits}: 7 for 4 bits, 63 for 7 and 64 (not 127) for 8. ONNX Runtime's int8
     * kernels on x86 CPUs without VNNI (AVX2 here) multiply uint8 activations by int8 weights with vpmaddubsw, which
     * adds two products in a saturating int16: 255 x 127 x 2 overflows it, 255 x 64 x 2 = 32,640 does not. Measured on
     * fashion-cnn w8a8 (pixels quantised on their grid, 5,000 embedded test images): with +-127 codes ONNX Runtime agreed
     * with the simulation on 91.5% of predictions, with +-63 on 99.98%, with +-64 (and int32 biases rounded as
     * {@link Deployment} says) on 100%. ONNX Runtime's own quantiser calls this reduce_range.
     */
    public static int qmax(int bits) {
        return bits == 8 ? 64 : (1 << (bits - 1)) - 1;
    }

    /**
     * Symmetric scales {@code max|block| / qmax}, one per block of {@code block} consecutive values of each row (the
     * last block of a row may be shorter; {@code block} >= the row length gives one scale per row). An all-zero block
     * gets scale 1: its codes are all 0 whatever the scale, and a deployed DequantizeLinear needs a positive one.
     * Scales are ordered row by row, block by block.
     */
    public static float[] symmetricScales(float[] rows, int nRows, int bits, int block) {
        int len = rows.length / nRows, blocks = blocks(len, block);
        float[] scales = new float[nRows * blocks];
        for (int r = 0; r < nRows; r++) {
            for (int b = 0; b < blocks; b++) {
                float max = 0;
                for (int i = r * len + b * block; i < r * len + Math.min(len, (b + 1) * block); i++) max = Math.max(max, Math.abs(rows[i]));
                scales[r * blocks + b] = max == 0 ? 1f : max / qmax(bits);
            }
        }
        return scales;
    }

    /** Blocks of {@code block} values in a row of {@code length}. */
    public static int blocks(int length, int block) {
        return (length + block - 1) / block;
    }

    /** Integer codes {@code clamp(rint(w / scale), -qmax, qmax)}, with the scales of {@link #symmetricScales}. */
    public static int[] codes(float[] rows, int nRows, float[] scales, int bits, int block) {
        int len = rows.length / nRows, blocks = blocks(len, block), q = qmax(bits);
        int[] codes = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            double c = Math.rint(rows[i] / scales[(i / len) * blocks + (i % len) / block]); // float division, as ONNX does it
            codes[i] = (int) Math.max(-q, Math.min(q, c));
        }
        return codes;
    }

    /** The values a deployed model computes with: {@code code * scale}. */
    public static float[] dequantize(int[] codes, int nRows, float[] scales, int block) {
        int len = codes.length / nRows, blocks = blocks(len, block);
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) out[i] = codes[i] * scales[(i / len) * blocks + (i % len) / block];
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
