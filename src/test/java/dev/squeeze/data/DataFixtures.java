package dev.squeeze.data;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Real data files written from the embedded Fashion-MNIST test split, for the readers' tests. */
public final class DataFixtures {
    static final int PIXELS = FashionMnist.SHAPE.size();

    private DataFixtures() {}

    /** The embedded 10k test split, read from squeeze's own resources whatever is installed. */
    public static Images embedded(Path scratch) {
        try {
            Path copy = Files.createDirectories(scratch.resolve("embedded-copy"));
            for (String f : List.of(FashionMnist.TEST_IMAGES, FashionMnist.TEST_LABELS)) {
                try (InputStream in = FashionMnist.class.getResourceAsStream("/data/" + f)) {
                    Files.copy(in, copy.resolve(f));
                }
            }
            return FashionMnist.load("test", copy).test().images();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] pixels(Images images) {
        return ((Values.Bytes) images.values()).values();
    }

    /** A folder name for each class ("T-shirt/top" cannot be one). */
    public static String folder(int label) {
        return FashionMnist.CLASS_NAMES.get(label).replace('/', '-');
    }

    /** Image {@code i}, its grey levels centred on a {@code side x side} black RGB canvas (R = G = B), as a PNG. */
    static void png(Images images, int i, int side, Path file) {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        int off = (side - 28) / 2;
        byte[] px = pixels(images);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = px[i * PIXELS + y * 28 + x] & 0xff;
                img.setRGB(x + off, y + off, v << 16 | v << 8 | v);
            }
        }
        write(img, "png", file);
    }

    /** Image {@code i} as a 28x28 grey PNG. */
    public static void greyPng(Images images, int i, Path file) {
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(pixels(images), i * PIXELS, (i + 1) * PIXELS));
        write(img, "png", file);
    }

    static void write(BufferedImage img, String format, Path file) {
        try {
            Files.createDirectories(file.getParent());
            if (!ImageIO.write(img, format, file.toFile())) throw new IllegalStateException("no ImageIO writer for " + format);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Images {@code [from, to)} as {@code dir/<class>/<index>.png}, padded to {@code side}. */
    static void classFolders(Images images, int from, int to, int side, Path dir) {
        for (int i = from; i < to; i++) png(images, i, side, dir.resolve(folder(images.labels()[i])).resolve(String.format("%05d.png", i)));
    }

    /** Images {@code [from, to)} as CSV: a header {@code label,pixel0,...} (when asked), then label and 784 grey levels per row. */
    public static void csv(Images images, int from, int to, boolean header, Path file) throws IOException {
        var sb = new StringBuilder();
        if (header) {
            sb.append("label");
            for (int k = 0; k < PIXELS; k++) sb.append(",pixel").append(k);
            sb.append('\n');
        }
        byte[] px = pixels(images);
        for (int i = from; i < to; i++) {
            sb.append(images.labels()[i]);
            for (int k = 0; k < PIXELS; k++) sb.append(',').append(px[i * PIXELS + k] & 0xff);
            sb.append('\n');
        }
        Files.writeString(file, sb);
    }

    /** An NPY file (version 1.0): {@code descr} such as {@code |u1}, {@code <f4}, {@code <i8}, then the little-endian data. */
    static byte[] npy(String descr, int[] shape, ByteBuffer data) {
        // numpy's own spelling: (n,) for one dimension, (a, b) for more
        String dims = shape.length == 1 ? shape[0] + "," : String.join(", ", Arrays.stream(shape).mapToObj(String::valueOf).toList());
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    static byte[] npyBytes(Images images, int from, int to) {
        return npy("|u1", new int[]{to - from, 28, 28}, ByteBuffer.wrap(pixels(images), from * PIXELS, (to - from) * PIXELS));
    }

    public static byte[] npyFloats(Images images, int from, int to) {
        ByteBuffer b = ByteBuffer.allocate((to - from) * PIXELS * 4).order(ByteOrder.LITTLE_ENDIAN);
        byte[] px = pixels(images);
        for (int i = from * PIXELS; i < to * PIXELS; i++) b.putFloat(px[i] & 0xff);
        return npy("<f4", new int[]{to - from, PIXELS}, b.flip());
    }

    public static byte[] npyLabels(Images images, int from, int to) {
        ByteBuffer b = ByteBuffer.allocate((to - from) * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = from; i < to; i++) b.putLong(images.labels()[i]);
        return npy("<i8", new int[]{to - from}, b.flip());
    }

    /** An NPZ archive (numpy.savez: stored entries named {@code NAME.npy}). */
    static void npz(Path file, String[] names, byte[][] arrays) throws IOException {
        try (var zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (int k = 0; k < names.length; k++) {
                var e = new ZipEntry(names[k] + ".npy");
                e.setMethod(ZipEntry.STORED);
                e.setSize(arrays[k].length);
                CRC32 crc = new CRC32();
                crc.update(arrays[k]);
                e.setCrc(crc.getValue());
                zip.putNextEntry(e);
                zip.write(arrays[k]);
                zip.closeEntry();
            }
        }
    }

    public static Path yaml(Path file, String... lines) throws IOException {
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }
}
