package dev.squeeze.model.compress;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gathers or zeroes blocks of indices along one axis of a parameter, on a plain copy of its data. ND4J's
 * index views at non-zero offsets and {@code NDArrayIndex.indices} on 4-D arrays are unreliable in the ND4J version squeeze uses,
 * and these arrays are small, so a flat copy is both safe and fast.
 */
final class Tensors {
    private Tensors() {}

    /** Positions along {@code axis} owned by the given units: unit {@code u} owns {@code u*block ... u*block+block-1}. */
    static long[] rows(int[] units, long block) {
        long[] rows = new long[(int) (units.length * block)];
        for (int j = 0; j < units.length; j++) {
            for (int r = 0; r < block; r++) rows[(int) (j * block + r)] = units[j] * block + r;
        }
        return rows;
    }

    /** A new array holding only the given units' positions along {@code axis}, in the order given. */
    static INDArray take(INDArray a, int axis, int[] units, long block) {
        return takeRows(a, axis, rows(units, block));
    }

    /** A new array holding only the given positions along {@code axis}, in the order given. */
    static INDArray takeRows(INDArray a, int axis, long[] keep) {
        long[] shape = a.shape();
        long outer = product(shape, 0, axis), inner = product(shape, axis + 1, shape.length), len = shape[axis];
        float[] src = flat(a);
        float[] dst = new float[(int) (outer * keep.length * inner)];
        for (long o = 0; o < outer; o++) {
            for (int j = 0; j < keep.length; j++) {
                System.arraycopy(src, (int) ((o * len + keep[j]) * inner), dst, (int) ((o * keep.length + j) * inner), (int) inner);
            }
        }
        long[] out = shape.clone();
        out[axis] = keep.length;
        return Nd4j.create(dst, out, 'c');
    }

    /**
     * Every unit's values along {@code axis} ({@code units x block} positions), each as a flat array in the order
     * {@link #take} gives one unit's: one copy of the data for all units, not one per unit.
     */
    static float[][] perUnit(INDArray a, int axis, int units, long block) {
        long[] shape = a.shape();
        long outer = product(shape, 0, axis), inner = product(shape, axis + 1, shape.length), len = shape[axis];
        float[] src = flat(a);
        int chunk = (int) (block * inner);
        float[][] out = new float[units][(int) (outer * chunk)];
        for (long o = 0; o < outer; o++) {
            for (int u = 0; u < units; u++) {
                System.arraycopy(src, (int) ((o * len + u * block) * inner), out[u], (int) (o * chunk), chunk);
            }
        }
        return out;
    }

    /** A copy of {@code a} with the given units' positions along {@code axis} set to zero. */
    static INDArray zero(INDArray a, int axis, int[] units, long block) {
        return zeroRows(a, axis, rows(units, block));
    }

    /** A copy of {@code a} with the given positions along {@code axis} zeroed. */
    static INDArray zeroRows(INDArray a, int axis, long[] rows) {
        long[] shape = a.shape();
        long outer = product(shape, 0, axis), inner = product(shape, axis + 1, shape.length), len = shape[axis];
        float[] data = flat(a);
        for (long o = 0; o < outer; o++) {
            for (long row : rows) {
                int from = (int) ((o * len + row) * inner);
                java.util.Arrays.fill(data, from, (int) (from + inner), 0f);
            }
        }
        return Nd4j.create(data, shape, 'c');
    }

    private static long product(long[] shape, int from, int to) {
        long p = 1;
        for (int d = from; d < to; d++) p *= shape[d];
        return p;
    }

    /** The array's values in C order, as a fresh float array. */
    static float[] flat(INDArray a) {
        INDArray cast = a.dataType() == DataType.FLOAT ? a : a.castTo(DataType.FLOAT);
        INDArray c = cast.dup('c');
        float[] values = c.data().asFloat();
        dev.squeeze.model.Backend.release(c);
        if (cast != a) dev.squeeze.model.Backend.release(cast);
        return values;
    }
}
