package dev.squeeze.evaluators.cluster;

import dev.squeeze.data.Images;
import dev.squeeze.data.SampleShape;
import dev.squeeze.data.Scaling;
import dev.squeeze.data.Values;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Images as one blob (big-endian): a version, the sample shape, the scaling, the class names, the count, the values
 * as stored (bytes, or floats) and the labels (absent for unlabelled data). Its SHA-256 names the images in a
 * {@link Workload}, so everything that changes what a worker measures is in it.
 */
final class ImagesBlob {
    private static final int VERSION = 2;
    private static final byte BYTES = 0, FLOATS = 1;

    private ImagesBlob() {}

    static byte[] encode(Images images) {
        var bytes = new ByteArrayOutputStream();
        try (var out = new DataOutputStream(bytes)) {
            out.writeInt(VERSION);
            int[] dims = images.shape().toArray();
            out.writeInt(dims.length);
            for (int d : dims) out.writeInt(d);
            Scaling s = images.scaling();
            out.writeDouble(s.scale());
            doubles(out, s.mean());
            doubles(out, s.std());
            out.writeInt(images.classNames().size());
            for (String c : images.classNames()) out.writeUTF(c);
            out.writeInt(images.count());
            if (images.values() instanceof Values.Bytes b) {
                out.writeByte(BYTES);
                out.write(b.values());
            } else {
                out.writeByte(FLOATS);
                for (float v : ((Values.Floats) images.values()).values()) out.writeFloat(v);
            }
            out.writeBoolean(images.labelled());
            if (images.labelled()) for (int label : images.labels()) out.writeInt(label);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Images decode(byte[] blob) {
        try (var in = new DataInputStream(new ByteArrayInputStream(blob))) {
            if (in.readInt() != VERSION) throw new IllegalArgumentException("not an images blob of version " + VERSION);
            int[] dims = new int[in.readInt()];
            for (int i = 0; i < dims.length; i++) dims[i] = in.readInt();
            SampleShape shape = SampleShape.of(dims);
            Scaling scaling = new Scaling(in.readDouble(), doubles(in), doubles(in));
            var classes = new ArrayList<String>();
            for (int i = in.readInt(); i > 0; i--) classes.add(in.readUTF());
            int n = in.readInt();
            int length = Math.multiplyExact(n, shape.size());
            Values values;
            if (in.readByte() == BYTES) {
                byte[] b = new byte[length];
                in.readFully(b);
                values = new Values.Bytes(b);
            } else {
                float[] f = new float[length];
                for (int i = 0; i < length; i++) f[i] = in.readFloat();
                values = new Values.Floats(f);
            }
            int[] labels = null;
            if (in.readBoolean()) {
                labels = new int[n];
                for (int i = 0; i < n; i++) labels[i] = in.readInt();
            }
            if (in.available() != 0) throw new IllegalArgumentException("not an images blob: " + in.available() + " bytes left over");
            return new Images(shape, values, labels, classes, scaling);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an images blob (" + e.getMessage() + ")", e);
        }
    }

    private static void doubles(DataOutputStream out, List<Double> values) throws IOException {
        out.writeInt(values.size());
        for (double v : values) out.writeDouble(v);
    }

    private static List<Double> doubles(DataInputStream in) throws IOException {
        var out = new ArrayList<Double>();
        for (int i = in.readInt(); i > 0; i--) out.add(in.readDouble());
        return out;
    }
}
