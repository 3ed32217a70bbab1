package dev.squeeze.evaluators.cluster;

import dev.squeeze.data.FashionMnist;
import dev.squeeze.data.Images;
import dev.squeeze.data.SampleShape;
import dev.squeeze.data.Scaling;
import dev.squeeze.data.Values;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ImagesBlobTest {
    @Test
    void bytesAndFloatsLabelledOrNotComeBackAsTheyWent() {
        byte[] px = new byte[2 * 784];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 7);
        Images grey = FashionMnist.images(px, new int[]{3, 9});
        Images back = ImagesBlob.decode(ImagesBlob.encode(grey));
        assertEquals(grey.shape(), back.shape());
        assertArrayEquals(px, ((Values.Bytes) back.values()).values());
        assertArrayEquals(new int[]{3, 9}, back.labels());
        assertEquals(FashionMnist.CLASS_NAMES, back.classNames());
        assertEquals(Scaling.UNIT_BYTES, back.scaling());

        Images rows = new Images(SampleShape.of(3), new Values.Floats(new float[]{1.5f, -2, 3, 4, 5, 6}), null, List.of(),
                new Scaling(2, List.of(0.5), List.of(3.0)));
        Images rowsBack = ImagesBlob.decode(ImagesBlob.encode(rows));
        assertArrayEquals(new float[]{1.5f, -2, 3, 4, 5, 6}, ((Values.Floats) rowsBack.values()).values());
        assertFalse(rowsBack.labelled());
        assertEquals(rows.scaling(), rowsBack.scaling());
        assertThrows(IllegalArgumentException.class, () -> ImagesBlob.decode(new byte[]{0, 0, 0, 1}));
    }
}
