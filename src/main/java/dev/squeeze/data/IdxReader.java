package dev.squeeze.data;

import dev.squeeze.SqueezeException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST family's format), gzip-compressed or not, of any number of dimensions: the magic is two
 * zero bytes, a type byte (0x08 unsigned byte, 0x09 signed byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double) and
 * the number of dimensions, then each dimension as a big-endian int, then the values. Unsigned bytes stay bytes.
 */
final class IdxReader {
    static final String FIX = "reinstall it (apt-get install --reinstall dataset-fashion-mnist) or point --data at a good copy";
    private static final int UBYTE = 0x08, SBYTE = 0x09, SHORT = 0x0B, INT = 0x0C, FLOAT = 0x0D, DOUBLE = 0x0E;

    private IdxReader() {}

    /** An IDX file's dimensions (the first is the sample count) and values. */
    record Idx(int[] dims, Values values) {
        SampleShape sampleShape() {
            return SampleShape.of(Arrays.copyOfRange(dims, 1, dims.length));
        }
    }

    /** Reads a whole IDX file; {@code where} names it in errors and {@code fix} says what to do about a broken one. */
    static Idx read(InputStream raw, String where, String fix) {
        try (DataInputStream in = open(raw)) {
            int magic = in.readInt();
            int type = (magic >>> 8) & 0xff, rank = magic & 0xff;
            check((magic >>> 16) == 0 && rank > 0 && typeSize(type) > 0, where,
                    "is not an IDX file (magic 0x" + Integer.toHexString(magic) + ")", fix);
            int[] dims = new int[rank];
            long count = 1;
            for (int d = 0; d < rank; d++) {
                dims[d] = in.readInt();
                check(dims[d] >= 0, where, "has a negative dimension " + dims[d], fix);
                count *= dims[d];
            }
            check(count <= Integer.MAX_VALUE, where, "holds " + count + " values, more than squeeze reads from one file", fix);
            return new Idx(dims, values(in, type, (int) count));
        } catch (EOFException e) {
            throw new SqueezeException(where + " is truncated (it ends before its header's count of items): " + fix);
        } catch (ZipException e) {
            throw new SqueezeException(where + " is not a valid gzip file (" + e.getMessage() + "): " + fix);
        } catch (IOException e) {
            throw new SqueezeException("cannot read " + where + ": " + e.getMessage());
        }
    }

    /** A one-dimensional IDX file of whole numbers as labels. */
    static int[] labels(InputStream raw, String where, String fix) {
        Idx idx = read(raw, where, fix);
        check(idx.dims().length == 1, where, "is not an IDX label file (it has " + idx.dims().length + " dimensions, labels have 1)", fix);
        int[] labels = new int[idx.dims()[0]];
        for (int i = 0; i < labels.length; i++) {
            float v = idx.values().raw(i);
            check(v >= 0 && v == Math.rint(v), where, "has label " + v + ", not a class index (0, 1, 2, ...)", fix);
            labels[i] = (int) v;
        }
        return labels;
    }

    private static Values values(DataInputStream in, int type, int n) throws IOException {
        if (type == UBYTE) {
            byte[] b = new byte[n];
            in.readFully(b);
            return new Values.Bytes(b);
        }
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = switch (type) {
                case SBYTE -> in.readByte();
                case SHORT -> in.readShort();
                case INT -> in.readInt();
                case FLOAT -> in.readFloat();
                default -> (float) in.readDouble();
            };
        }
        return new Values.Floats(f);
    }

    private static int typeSize(int type) {
        return switch (type) {
            case UBYTE, SBYTE -> 1;
            case SHORT -> 2;
            case INT, FLOAT -> 4;
            case DOUBLE -> 8;
            default -> 0;
        };
    }

    /** gzip when the stream starts with gzip's magic, raw IDX otherwise. */
    private static DataInputStream open(InputStream raw) throws IOException {
        var buffered = new BufferedInputStream(raw, 1 << 16);
        buffered.mark(2);
        int b0 = buffered.read(), b1 = buffered.read();
        buffered.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        return new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16) : buffered);
    }

    static void check(boolean ok, String where, String problem, String fix) {
        if (!ok) throw new SqueezeException(where + " " + problem + ": " + fix);
    }
}
