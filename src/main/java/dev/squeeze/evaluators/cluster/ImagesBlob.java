package dev.squeeze.evaluators.cluster;

import dev.squeeze.data.Images;

import java.nio.ByteBuffer;

/** Images as one blob: the count, the grey levels as stored, then the labels (big-endian ints). */
final class ImagesBlob {
    private ImagesBlob() {}

    static byte[] encode(Images images) {
        ByteBuffer b = ByteBuffer.allocate(4 + images.pixels().length + 4 * images.count());
        b.putInt(images.count()).put(images.pixels());
        for (int label : images.labels()) b.putInt(label);
        return b.array();
    }

    static Images decode(byte[] blob) {
        ByteBuffer b = ByteBuffer.wrap(blob);
        int n = b.getInt();
        if (n < 0 || blob.length != 4 + (long) n * Images.PIXELS + 4L * n) throw new IllegalArgumentException("not an images blob");
        byte[] px = new byte[n * Images.PIXELS];
        b.get(px);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = b.getInt();
        return new Images(px, labels);
    }
}
