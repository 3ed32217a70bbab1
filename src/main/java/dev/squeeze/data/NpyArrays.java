package dev.squeeze.data;

import dev.squeeze.SqueezeException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads NumPy arrays with ND4J ({@code Nd4j.createFromNpyFile}, {@code Nd4j.createFromNpzFile}). ND4J parses the data
 * in native code, which does not survive every broken file, so each header is checked here first (magic, dtype,
 * shape, length) and a bad one is a one-line error naming the file. uint8 arrays stay bytes, the rest become floats.
 */
final class NpyArrays {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final String FIX = "write it again with numpy.save (a numeric array, one row per sample)";

    private NpyArrays() {}

    /** An array's dimensions (the first is the sample count) and values. */
    record Array(int[] dims, Values values) {}

    static Array read(Path file) {
        long[] shape;
        try (InputStream in = Files.newInputStream(file)) {
            shape = check(in, Files.size(file), file.toString());
        } catch (IOException e) {
            throw missing(file, e);
        }
        return convert(Nd4j.createFromNpyFile(file.toFile()), shape, file.toString());
    }

    /** Every array of an {@code .npz} archive, by name without {@code .npy}. */
    static Map<String, Array> readAll(Path file) {
        var shapes = new LinkedHashMap<String, long[]>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                try (InputStream in = zip.getInputStream(e)) {
                    shapes.put(e.getName(), check(in, e.getSize(), file + ":" + e.getName()));
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new SqueezeException(file + " is not an .npz archive (" + e.getMessage() + "): write it again with numpy.savez");
        } catch (IOException e) {
            throw missing(file, e);
        }
        Map<String, INDArray> arrays;
        try {
            arrays = Nd4j.createFromNpzFile(file.toFile());
        } catch (Exception e) {
            throw new SqueezeException(file + ": ND4J cannot read it (" + e.getMessage() + "): write it again with numpy.savez");
        }
        var out = new LinkedHashMap<String, Array>();
        arrays.forEach((name, a) -> {
            long[] shape = shapes.containsKey(name) ? shapes.get(name) : shapes.get(name + ".npy");
            out.put(name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name, convert(a, shape, file + ":" + name));
        });
        return out;
    }

    private static SqueezeException missing(Path file, IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) return new SqueezeException(file + ": no such file: fix the path in the data file");
        return new SqueezeException(file + ": cannot read (" + e.getMessage() + ")");
    }

    /** Labels: a whole-number array of one value per sample ({@code [n]} or {@code [n, 1]}). */
    static int[] labels(Array a, String where) {
        if (!(a.dims().length == 1 || a.dims().length == 2 && a.dims()[1] == 1)) {
            throw new SqueezeException(where + " has shape " + Arrays.toString(a.dims()) + "; labels are one class index per sample, shape [n]: " + FIX);
        }
        int[] labels = new int[a.dims()[0]];
        for (int i = 0; i < labels.length; i++) {
            float v = a.values().raw(i);
            if (!(v >= 0) || v != Math.rint(v)) throw new SqueezeException(where + " holds label " + v + " at " + i + ", not a class index (0, 1, 2, ...): " + FIX);
            labels[i] = (int) v;
        }
        return labels;
    }

    /** {@code a} as read by ND4J, checked against the shape its header gives (ND4J misreads some valid headers). */
    private static Array convert(INDArray a, long[] header, String where) {
        long[] shape = a.shape();
        if (header != null && !Arrays.equals(shape, header) && !(header.length == 0 && a.length() == 1)) {
            throw bad(where, "has shape " + Arrays.toString(header) + " in its header but ND4J read " + Arrays.toString(shape)
                    + " (it expects numpy's own spelling of the header)");
        }
        int[] dims = new int[shape.length];
        for (int i = 0; i < dims.length; i++) dims[i] = Math.toIntExact(shape[i]);
        INDArray c = a.dup('c');
        int n = Math.toIntExact(c.length());
        if (c.dataType() == DataType.UINT8) {
            var buf = c.data();
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) b[i] = (byte) buf.getInt(i);
            return new Array(dims, new Values.Bytes(b));
        }
        float[] f = c.castTo(DataType.FLOAT).data().asFloat();
        if (f.length != n) throw new SqueezeException(where + ": ND4J read " + f.length + " values, its shape says " + n + ": " + FIX);
        return new Array(dims, new Values.Floats(f));
    }

    /** The header of an NPY stream of {@code size} bytes: a numeric dtype, a shape, and enough data for both. Returns the shape. */
    private static long[] check(InputStream in, long size, String where) throws IOException {
        byte[] head = in.readNBytes(10);
        if (head.length < 10 || !Arrays.equals(Arrays.copyOf(head, 6), MAGIC)) throw bad(where, "is not an NPY file (no \\x93NUMPY magic)");
        int major = head[6];
        int headerLength;
        int prefix;
        if (major == 1) {
            headerLength = (head[8] & 0xff) | (head[9] & 0xff) << 8;
            prefix = 10;
        } else if (major == 2 || major == 3) {
            byte[] more = in.readNBytes(2);
            if (more.length < 2) throw bad(where, "is truncated in its header");
            headerLength = (head[8] & 0xff) | (head[9] & 0xff) << 8 | (more[0] & 0xff) << 16 | (more[1] & 0xff) << 24;
            prefix = 12;
        } else {
            throw bad(where, "is NPY version " + major + ", which squeeze does not read");
        }
        byte[] header = in.readNBytes(headerLength);
        if (header.length < headerLength) throw bad(where, "is truncated in its header");
        String text = new String(header, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(text), s = SHAPE.matcher(text);
        if (!d.find() || !s.find()) throw bad(where, "has a header without a numeric dtype and a shape (" + text.trim() + ")");
        String kind = d.group(2);
        int item = Integer.parseInt(d.group(3));
        if (!"fiub".contains(kind) || kind.equals("b") && item != 1) throw bad(where, "holds dtype " + d.group(1) + kind + item + ", not numbers");
        if (d.group(1).equals(">") && item > 1) throw bad(where, "is big-endian (" + d.group(1) + kind + item + "); save it little-endian");
        long count = 1;
        var dims = new java.util.ArrayList<Long>();
        for (String dim : s.group(1).split(",")) {
            if (dim.isBlank()) continue;
            try {
                dims.add(Long.parseLong(dim.trim()));
            } catch (NumberFormatException e) {
                throw bad(where, "has shape (" + s.group(1) + ") in its header, not whole numbers");
            }
            count *= dims.get(dims.size() - 1);
        }
        if (size >= 0 && size < prefix + headerLength + count * item) {
            throw bad(where, "is truncated: its header's shape needs " + count * item + " bytes of data, the file has " + (size - prefix - headerLength));
        }
        if (text.matches("(?s).*'fortran_order'\\s*:\\s*True.*")) throw bad(where, "is in Fortran order; save it in C order (numpy's default)");
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static SqueezeException bad(String where, String problem) {
        return new SqueezeException(where + " " + problem + ": " + FIX);
    }
}
