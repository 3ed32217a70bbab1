package dev.squeeze.data;

import dev.squeeze.SqueezeException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InputEncodingTest {
    @Test
    void fashionScalingGivesExactlyTheFloatsOfByteOver255() {
        // the features every trained model and cached evaluation saw: (b & 0xff) / 255f, for all 256 levels
        byte[] px = new byte[FashionMnist.SHAPE.size()];
        int[] labels = new int[1];
        float[] expected = new float[px.length];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i % 256);
            expected[i] = (px[i] & 0xff) / 255f;
        }
        INDArray x = InputEncoding.IMAGE.features(FashionMnist.images(px, labels), 0, 1);
        assertArrayEquals(new long[]{1, 1, 28, 28}, x.shape());
        float[] got = x.data().asFloat();
        for (int i = 0; i < px.length; i++) assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(got[i]), "level " + (i % 256));
    }

    @Test
    void imageEncodingTakesTheImagesOwnShapeAndPerChannelMeanAndStd() {
        SampleShape shape = SampleShape.of(3, 2, 2);
        byte[] v = new byte[2 * shape.size()];
        for (int i = 0; i < v.length; i++) v[i] = (byte) (10 * i);
        var scaling = new Scaling(0.1, List.of(1.0, 2.0, 3.0), List.of(1.0, 2.0, 4.0));
        Images images = new Images(shape, new Values.Bytes(v), new int[]{0, 4}, Images.numberedClasses(5), scaling);
        INDArray x = InputEncoding.IMAGE.features(images, 1, 2);
        assertArrayEquals(new long[]{1, 3, 2, 2}, x.shape());
        float[] f = x.data().asFloat();
        for (int k = 0; k < 12; k++) {
            int c = k / 4;
            double raw = 10 * (12 + k);
            assertEquals((float) ((raw * 0.1 - (c + 1)) / new double[]{1, 2, 4}[c]), f[k], 0f, "value " + k);
        }
        INDArray y = InputEncoding.oneHot(images, 0, 2);
        assertArrayEquals(new long[]{2, 5}, y.shape(), "one column per class of the data");
        assertEquals(1f, y.getFloat(1, 4), 0f);
    }

    @Test
    void featureRowsAreTwoDimensionalAndFloatsStayFloats() {
        Images rows = new Images(SampleShape.of(4), new Values.Floats(new float[]{1, 2, 3, 4, -1, -2, -3, -4}), new int[]{1, 0},
                Images.numberedClasses(2), Scaling.NONE);
        INDArray x = InputEncoding.IMAGE.features(rows, 0, 2);
        assertArrayEquals(new long[]{2, 4}, x.shape());
        assertArrayEquals(new float[]{1, 2, 3, 4, -1, -2, -3, -4}, x.data().asFloat());
    }

    @Test
    void rowTokensRefuseOtherShapesInOneLine() {
        Images colour = new Images(SampleShape.of(3, 28, 28), new Values.Bytes(new byte[3 * 784]), new int[]{0}, Images.numberedClasses(1), Scaling.UNIT_BYTES);
        var e = assertThrows(SqueezeException.class, () -> InputEncoding.ROW_TOKENS.features(colour, 0, 1));
        assertTrue(e.getMessage().contains("[3, 28, 28]") && !e.getMessage().contains("\n"), e.getMessage());
        assertArrayEquals(new long[]{1, 56, 28}, InputEncoding.ROW_TOKENS.features(FashionMnist.images(new byte[784], new int[]{0}), 0, 1).shape());
    }

    @Test
    void unlabelledImagesSayWhyWhenLabelsAreNeeded() {
        Images none = new Images(FashionMnist.SHAPE, new Values.Bytes(new byte[784]), null, List.of(), Scaling.UNIT_BYTES);
        var e = assertThrows(SqueezeException.class, () -> InputEncoding.oneHot(none, 0, 1));
        assertTrue(e.getMessage().contains("labels: none"), e.getMessage());
        assertEquals(1, none.subset(new int[]{0}).count());
    }
}
