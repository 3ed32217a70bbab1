package dev.squeeze.data;

import dev.squeeze.SqueezeException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Reads the gzip-compressed IDX files Fashion-MNIST ships (images: magic 2051, labels: 2049). */
final class IdxReader {
    private static final int IMAGE_MAGIC = 2051;
    private static final int LABEL_MAGIC = 2049;

    private IdxReader() {}

    static byte[] readImages(InputStream raw, String where) {
        return read(raw, where, in -> {
            int magic = in.readInt();
            check(magic == IMAGE_MAGIC, where, "is not an IDX image file (magic " + magic + ", expected " + IMAGE_MAGIC + ")");
            int n = in.readInt(), rows = in.readInt(), cols = in.readInt();
            check(rows == Images.ROWS && cols == Images.COLS, where, "holds " + rows + "x" + cols + " images, expected 28x28");
            byte[] bytes = new byte[Math.multiplyExact(n, Images.PIXELS)];
            in.readFully(bytes);
            return bytes;
        });
    }

    static int[] readLabels(InputStream raw, String where) {
        return read(raw, where, in -> {
            int magic = in.readInt();
            check(magic == LABEL_MAGIC, where, "is not an IDX label file (magic " + magic + ", expected " + LABEL_MAGIC + ")");
            int n = in.readInt();
            byte[] bytes = new byte[n];
            in.readFully(bytes);
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = bytes[i];
                check(labels[i] >= 0 && labels[i] < Images.CLASSES, where, "has label " + labels[i] + " outside 0..9");
            }
            return labels;
        });
    }

    private interface Body<T> {
        T read(DataInputStream in) throws IOException;
    }

    /** Opens the gzip stream and turns every way a file can be broken into one line naming it. */
    private static <T> T read(InputStream raw, String where, Body<T> body) {
        try (DataInputStream in = open(raw)) {
            return body.read(in);
        } catch (EOFException e) {
            throw truncated(where);
        } catch (ZipException e) {
            throw new SqueezeException(where + " is not a valid gzip file (" + e.getMessage() + "): " + FIX);
        } catch (IOException e) {
            throw new SqueezeException("cannot read " + where + ": " + e.getMessage());
        }
    }

    static final String FIX = "reinstall it (apt-get install --reinstall dataset-fashion-mnist) or point --data at a good copy";

    private static DataInputStream open(InputStream raw) throws IOException {
        return new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
    }

    private static SqueezeException truncated(String where) {
        return new SqueezeException(where + " is truncated (it ends before its header's count of items): " + FIX);
    }

    private static void check(boolean ok, String where, String problem) {
        if (!ok) throw new SqueezeException(where + " " + problem + ": " + FIX);
    }
}
