package dev.squeeze.model.compress;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The quantiser ONNX Runtime's MatMulNBits applies to its own float input at accuracy level 4, the level with the
 * int8 kernel (MLAS {@code QuantizeARow_CompInt8}, x86 and ARM64 alike): each row of A (one example, or one token) is
 * cut into blocks of {@code block} values along the reduction; a block's scale is {@code max|a| / 127} and its
 * codes {@code rint(a * (127 / max|a|))} (float multiply, round half to even); the kernel multiplies the int8 codes
 * with the weights' and scales the block's sum. The simulation applies it to the layer's input, so it computes what
 * the kernel computes up to float rounding.
 *
 * @param block values per block (the weights' block: {@link Deployment#nbitsBlock})
 */
public record BlockInputQuant(int block) {
    public BlockInputQuant {
        if (block < 1) throw new IllegalArgumentException("block must be >= 1, not " + block);
    }

    /** A new array: {@code x} ([N, K] or DL4J's [N, K, T] sequences) quantised along axis 1, block by block. */
    public INDArray apply(INDArray x) {
        if (x.rank() != 2 && x.rank() != 3) throw new IllegalArgumentException("expected rank 2 or 3, not " + x.rank());
        long[] shape = x.shape();
        int n = (int) shape[0], k = (int) shape[1], t = x.rank() == 3 ? (int) shape[2] : 1;
        float[] v = Tensors.flat(x); // C order: index (e * k + i) * t + j
        for (int e = 0; e < n; e++) {
            for (int j = 0; j < t; j++) {
                for (int from = 0; from < k; from += block) {
                    int to = Math.min(k, from + block);
                    float max = 0;
                    for (int i = from; i < to; i++) max = Math.max(max, Math.abs(v[(e * k + i) * t + j]));
                    float scale = max / 127f, inverse = max != 0 ? 127f / max : 0f;
                    for (int i = from; i < to; i++) {
                        int at = (e * k + i) * t + j;
                        v[at] = (float) Math.rint(v[at] * inverse) * scale;
                    }
                }
            }
        }
        return Nd4j.create(v, shape, 'c');
    }
}
