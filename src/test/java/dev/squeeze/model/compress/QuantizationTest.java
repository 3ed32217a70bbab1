package dev.squeeze.model.compress;

import dev.squeeze.data.DataSplits;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.TestData;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizationTest {

    @Test
    void symmetricWeightsRoundHalfToEven() {
        // 4 bits: qmax 7; max|row| 7 gives scale 1, so codes are the values rounded half to even.
        float[] row = {7f, -3.5f, 2.5f, 0.5f, -0.5f, 1.5f};
        float[] scales = Quantization.symmetricScales(row, 1, 4, row.length);
        assertArrayEquals(new float[]{1f}, scales);
        assertArrayEquals(new int[]{7, -4, 2, 0, 0, 2}, Quantization.codes(row, 1, scales, 4, row.length));
    }

    @Test
    void allZeroChannelStaysZeroWithAUsableScale() {
        float[] rows = {0f, 0f, 0f, 2f, -1.015625f, 0.25f}; // two channels of three
        float[] scales = Quantization.symmetricScales(rows, 2, 8, 3);
        assertEquals(1f, scales[0]);       // any positive scale decodes zeros; 1 keeps DequantizeLinear valid
        assertEquals(2f / 64, scales[1]);
        int[] codes = Quantization.codes(rows, 2, scales, 8, 3);
        assertArrayEquals(new int[]{0, 0, 0, 64, -32, 8}, codes); // -32.5 -> -32 (half to even)
        assertArrayEquals(new float[]{0, 0, 0}, java.util.Arrays.copyOf(Quantization.dequantize(codes, 2, scales, 3), 3));
    }

    @Test
    void oneLargeOutlierFlattensTheRestOfItsChannelOnly() {
        float[] rows = {100f, 1f, 2f, -3f, /* second channel */ 1f, 2f, -3f, 0.5f};
        float[] scales = Quantization.symmetricScales(rows, 2, 4, 4);
        assertEquals(100f / 7, scales[0], 1e-6);
        assertEquals(3f / 7, scales[1], 1e-7);
        int[] codes = Quantization.codes(rows, 2, scales, 4, 4);
        assertArrayEquals(new int[]{7, 0, 0, 0, 2, 5, -7, 1}, codes); // 2.33->2, 4.67->5, 1.17->1
    }

    /** MatMulNBits' layout: a scale per block of each row, the last block of a row shorter; an outlier spoils only its block. */
    @Test
    void blocksOfARowHaveTheirOwnScales() {
        float[] rows = {100f, 1f, 2f, -3f, 1f, /* second row */ 1f, 2f, -4f, 0.5f, 64f};
        float[] scales = Quantization.symmetricScales(rows, 2, 8, 2); // blocks {0,1} {2,3} {4} per row
        assertArrayEquals(new float[]{100f / 64, 3f / 64, 1f / 64, 2f / 64, 4f / 64, 1f}, scales);
        assertEquals(3, Quantization.blocks(5, 2));
        int[] codes = Quantization.codes(rows, 2, scales, 8, 2);
        assertArrayEquals(new int[]{64, 1, 43, -64, 64, 32, 64, -64, 8, 64}, codes); // 0.64 -> 1, 42.67 -> 43
        float[] back = Quantization.dequantize(codes, 2, scales, 2);
        assertEquals(2f, back[6]);
        assertEquals(43 * 3f / 64, back[2]);
    }

    /**
     * 8-bit weights use codes up to 64, not 127: ONNX Runtime's int8 kernels on x86 without VNNI add two uint8 x int8
     * products in a saturating int16 (255 x 127 x 2 does not fit, 255 x 64 x 2 does).
     */
    @Test
    void eightBitCodesStayInsideTheInt16PairSum() {
        assertEquals(64, Quantization.qmax(8));
        assertEquals(63, Quantization.qmax(7));
        assertEquals(7, Quantization.qmax(4));
        assertTrue(255L * Quantization.qmax(8) * 2 <= Short.MAX_VALUE);
        float[] row = {1f, -0.5f, 0.25f};
        float[] scales = Quantization.symmetricScales(row, 1, 8, 3);
        assertArrayEquals(new int[]{64, -32, 16}, Quantization.codes(row, 1, scales, 8, 3));
    }

    /** MLAS QuantizeARow_CompInt8: per block, scale max|a| / 127, codes rint(a * (127 / max)); along axis 1, also of sequences. */
    @Test
    void matMulNBitsInputQuantisationIsPerRowAndBlock() {
        var q = new BlockInputQuant(2);
        // one row of K = 3: blocks {0.5, -1.27} and {0.3}
        float[] out = q.apply(Nd4j.createFromArray(new float[][]{{0.5f, -1.27f, 0.3f}})).toFloatVector();
        float s0 = 1.27f / 127;
        assertEquals((float) Math.rint(0.5f * (127f / 1.27f)) * s0, out[0], 1e-7);   // 50 codes
        assertEquals(-1.27f, out[1], 1e-6);
        assertEquals(0.3f, out[2], 1e-7);                                                // its own block: exact at 127
        // [N=1, K=2, T=2]: each token (column) is its own row
        var seq = Nd4j.createFromArray(new float[][][]{{{1f, 0.001f}, {0.004f, 0.002f}}});
        float[] t = q.apply(seq).dup('c').data().asFloat();                                        // C order: (k0,t0) (k0,t1) (k1,t0) (k1,t1)
        assertEquals(1f, t[0], 1e-7);
        assertEquals(1f / 127, t[2], 1e-7);                                              // 0.004 * 127 = 0.508 -> 1
        assertEquals(64 * (0.002f / 127), t[1], 1e-9);                                   // 0.001 * 127 / 0.002 = 63.5 -> 64 (half to even)
        assertEquals(0.002f, t[3], 1e-9);
    }


    @Test
    void activationsAreAsymmetricRoundHalfToEvenAndSaturate() {
        ActivationQuant q = ActivationQuant.ofRange(-2, 253, 8); // scale 1, zero point 2
        assertEquals(1f, q.scale());
        assertEquals(2, q.zeroPoint());
        float[] x = {0.5f, 1.5f, 2.5f, -2.5f, 300f, -10f, 17.25f};
        float[] expected = {0f, 2f, 2f, -2f, 253f, -2f, 17f};
        for (int i = 0; i < x.length; i++) assertEquals(expected[i], q.apply(x[i]), "x=" + x[i]);
        assertArrayEquals(expected, q.apply(Nd4j.createFromArray(x)).toFloatVector(), "ND4J path = scalar path");
        // a range that excludes 0 is widened to include it, so zero padding and ReLU zeros stay exact
        ActivationQuant positive = ActivationQuant.ofRange(1, 16, 4);
        assertEquals(0, positive.zeroPoint());
        assertEquals(0f, positive.apply(0f));
    }

    /** ONNX Runtime's requantisation: the int32 sum times the float multiplier, rounded half to even, clamped, b-bit clipped. */
    @Test
    void integerKernelsRequantiseTheirSums() {
        var r = new IntegerRequant(new ActivationQuant(4, 4f, 0), new float[]{1f, 0.5f}, new float[]{0.25f, 0.125f});
        // [N=1, C=2, 3]: channel 0 sums 6, -4, 2000; channel 1 sums 10, 12, 4 (y = sum * step)
        var y = Nd4j.createFromArray(new float[][][]{{{6f, -4f, 2000f}, {5f, 6f, 2f}}});
        float[] q = r.apply(y).dup('c').data().asFloat();
        // 6 * 0.25 = 1.5 -> 2; -1 -> 0 (zero point 0); 500 -> 255 -> 15 (4 bits); 1.25 -> 1; 1.5 -> 2; 0.5 -> 0
        assertArrayEquals(new float[]{8f, 0f, 60f, 4f, 8f, 0f}, q);
    }

    @Test
    void fp16RoundsToHalfPrecision() {
        float[] x = {1f + 1f / 4096, 65504f, 1e-8f};
        float[] r = Quantization.fp16(Nd4j.createFromArray(x)).toFloatVector();
        assertArrayEquals(new float[]{1f, 65504f, 0f}, r);
    }

    @Test
    void calibrationMethodsClipOutliersDifferently() {
        float[] values = new float[100_001];
        for (int i = 0; i < 100_000; i++) values[i] = i / 1000f;
        values[100_000] = 10_000f;
        ActivationQuant minmax = ActivationCalibration.MINMAX.calibrate(values, 8);
        ActivationQuant percentile = ActivationCalibration.PERCENTILE.calibrate(values, 8);
        ActivationQuant mse = ActivationCalibration.MSE.calibrate(values, 8);
        assertEquals(10_000, minmax.max(), 1);
        assertTrue(percentile.max() < 101, "percentile max " + percentile.max());
        assertTrue(mse.max() < minmax.max(), "mse max " + mse.max());
    }

    /** Acceptance: int8 weights and activations everywhere, no fine-tuning, lose <= 0.5 points on the test split. */
    @Test
    void int8EverywhereLosesAtMostHalfAPointOnFashionCnn() {
        ModelHandle m = ModelStore.load("fashion-cnn");
        DataSplits s = TestData.splits();
        double baseline = Accuracy.of(m.network(), s.test(), m.encoding());
        var compressor = new Compressor(m, Compressor.Options.DEFAULT, s.calibration());
        CompressedModel c = compressor.apply(CompressionPlan.uniform("w8a8").validate(m.graph(), "test"));
        double int8 = c.accuracy(s.test(), m.encoding());
        System.out.printf("fashion-cnn test accuracy: float %.4f, w8a8 %.4f (%d images)%n", baseline, int8, s.test().count());
        assertTrue(baseline - int8 <= 0.005, "int8 lost " + (baseline - int8));
        assertEquals(java.util.Set.of("input", "relu1", "relu2", "dense1"), c.activations().keySet(),
                "after conv-BN-ReLU blocks and dense1, not after the output; under the input's name, the grid its bytes / 255 lie on");
        assertEquals(Deployment.PIXELS, c.activations().get("input"));
    }
}
