package dev.squeeze.data;

import dev.squeeze.SqueezeException;

import javax.imageio.ImageIO;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads folders of images with the JDK's ImageIO (PNG, JPEG, BMP, GIF): one subfolder per class, class names in
 * sorted order, or a flat folder of unlabelled images. Each image becomes {@code [C, H, W]} unsigned bytes: grey
 * converted to colour by copying it, colour to grey by luma (0.299 R + 0.587 G + 0.114 B, so an R = G = B image keeps
 * its level exactly); sizes other than the shape padded, stretched or refused as declared.
 */
final class ImageFolders {
    static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private ImageFolders() {}

    /** One folder read: its images, their labels (null: unlabelled) and class names. */
    record Read(SampleShape shape, byte[] values, int[] labels, List<String> classes) {}

    /**
     * @param shape     the declared or first split's {@code [C, H, W]}; null: the first image's size, grey or colour
     * @param shapeFrom where {@code shape} came from, for errors ("input.shape says", "the train split's images are")
     * @param labelled  class subfolders (true) or a flat folder (false)
     */
    static Read read(Path dir, boolean labelled, SampleShape shape, String shapeFrom, DataDeclaration.Resize resize, boolean skipBad,
                     List<Dataset.Skipped> skipped, String fix) {
        if (!Files.isDirectory(dir)) throw new SqueezeException(dir + " is not a folder: " + fix);
        List<String> classes = labelled ? classFolders(dir) : List.of();
        var files = new ArrayList<Path>();
        var labels = new ArrayList<Integer>();
        if (labelled) {
            if (classes.isEmpty()) {
                throw new SqueezeException(dir + " has no class subfolders, so it has no labels: put each class's images in a subfolder "
                        + "named after the class, or declare labels: none in a squeeze-data/v1 file");
            }
            for (int c = 0; c < classes.size(); c++) {
                for (Path f : images(dir.resolve(classes.get(c)), skipped)) {
                    files.add(f);
                    labels.add(c);
                }
            }
        } else {
            files.addAll(images(dir, skipped));
        }
        if (files.isEmpty()) throw new SqueezeException(dir + " holds no PNG, JPEG, BMP or GIF images: " + fix);
        byte[] out = null;
        int[] lb = new int[files.size()];
        int n = 0;
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            BufferedImage img = decode(f, skipBad, skipped);
            if (img == null) continue;
            if (shape == null) {
                shape = SampleShape.of(isGrey(img) ? 1 : 3, img.getHeight(), img.getWidth());
                shapeFrom = f + " is";
            }
            if (out == null) out = new byte[Math.multiplyExact(files.size(), shape.size())];
            if (shape.channels() != 1 && shape.channels() != 3) {
                throw new SqueezeException("image data has 1 (grey) or 3 (RGB) channels, input shape says " + shape + ": fix input.shape");
            }
            int[][] planes = planes(img, shape.channels());
            planes = fit(planes, img.getHeight(), img.getWidth(), shape, resize, f, shapeFrom);
            int base = n * shape.size();
            for (int[] plane : planes) for (int v : plane) out[base++] = (byte) v;
            if (labelled) lb[n] = labels.get(i);
            n++;
        }
        if (n == 0) throw new SqueezeException(dir + ": every image was unreadable and skipped (" + skipped.size() + " files): " + fix);
        return new Read(shape, Arrays.copyOf(out, n * shape.size()), labelled ? Arrays.copyOf(lb, n) : null, classes);
    }

    /** The class subfolders of {@code dir}, sorted by name (hidden ones left out). */
    static List<String> classFolders(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new SqueezeException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** Whether {@code dir} directly holds at least one image file. */
    static boolean holdsImages(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(ImageFolders::isImageFile);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isImageFile(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return Files.isRegularFile(p) && !n.startsWith(".") && dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The image files of one folder in sorted order; other files are listed as skipped (hidden ones ignored). */
    private static List<Path> images(Path dir, List<Dataset.Skipped> skipped) {
        try (Stream<Path> s = Files.list(dir)) {
            var all = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
            var out = new ArrayList<Path>();
            for (Path p : all) {
                if (isImageFile(p)) out.add(p);
                else skipped.add(new Dataset.Skipped(p.toString(), "not a PNG, JPEG, BMP or GIF file"));
            }
            return out;
        } catch (IOException e) {
            throw new SqueezeException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    private static BufferedImage decode(Path f, boolean skipBad, List<Dataset.Skipped> skipped) {
        String problem;
        try {
            BufferedImage img = ImageIO.read(f.toFile());
            if (img != null && img.getWidth() > 0 && img.getHeight() > 0) return img;
            problem = "ImageIO found no image in it";
        } catch (IOException | RuntimeException e) {
            problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        }
        if (skipBad) {
            skipped.add(new Dataset.Skipped(f.toString(), "unreadable: " + problem));
            return null;
        }
        throw new SqueezeException(f + " is not a readable image (" + problem + "): replace or delete it, or skip bad images "
                + "(skip_bad: true in a squeeze-data/v1 file; squeeze inspect --data DIR --skip-bad lists them)");
    }

    /** Grey: a grey colour space without a palette; palettes and colour spaces go through sRGB. */
    private static boolean isGrey(BufferedImage img) {
        var cm = img.getColorModel();
        return !(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    }

    /** {@code channels} planes of {@code H*W} levels 0..255. */
    private static int[][] planes(BufferedImage img, int channels) {
        int h = img.getHeight(), w = img.getWidth();
        int[][] out = new int[channels][h * w];
        if (isGrey(img)) {
            // the raster's own levels: getRGB would convert linear grey to sRGB and change them
            Raster r = img.getRaster();
            int max = (1 << img.getColorModel().getComponentSize(0)) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = r.getSample(x, y, 0);
                    int level = max == 255 ? v : (int) Math.round(v * 255.0 / max);
                    for (int c = 0; c < channels; c++) out[c][y * w + x] = level;
                }
            }
            return out;
        }
        int[] rgb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < rgb.length; i++) {
            int r = rgb[i] >> 16 & 0xff, g = rgb[i] >> 8 & 0xff, b = rgb[i] & 0xff;
            if (channels == 1) {
                out[0][i] = (299 * r + 587 * g + 114 * b + 500) / 1000;
            } else {
                out[0][i] = r;
                out[1][i] = g;
                out[2][i] = b;
            }
        }
        return out;
    }

    private static int[][] fit(int[][] planes, int h, int w, SampleShape shape, DataDeclaration.Resize resize, Path file, String shapeFrom) {
        int th = shape.dim(1), tw = shape.dim(2);
        if (h == th && w == tw) return planes;
        switch (resize) {
            case ERROR -> throw new SqueezeException(file + " is " + w + "x" + h + " but " + shapeFrom + " " + tw + "x" + th + ": make the images one size, or set input: {shape: [C, H, W], resize: pad} (or stretch) in a squeeze-data/v1 file");
            case STRETCH -> {
                return resample(planes, h, w, th, tw);
            }
            default -> {
                int[][] src = planes;
                int sh = h, sw = w;
                if (h > th || w > tw) {
                    double f = Math.min(th / (double) h, tw / (double) w);
                    sh = Math.max(1, (int) Math.round(h * f));
                    sw = Math.max(1, (int) Math.round(w * f));
                    src = resample(planes, h, w, sh, sw);
                }
                int oy = (th - sh) / 2, ox = (tw - sw) / 2;
                int[][] out = new int[planes.length][th * tw];
                for (int c = 0; c < planes.length; c++) {
                    for (int y = 0; y < sh; y++) System.arraycopy(src[c], y * sw, out[c], (y + oy) * tw + ox, sw);
                }
                return out;
            }
        }
    }

    /** Bilinear resampling on pixel centres. */
    private static int[][] resample(int[][] planes, int h, int w, int th, int tw) {
        int[][] out = new int[planes.length][th * tw];
        for (int y = 0; y < th; y++) {
            double sy = Math.max(0, Math.min(h - 1, (y + 0.5) * h / th - 0.5));
            int y0 = (int) sy, y1 = Math.min(h - 1, y0 + 1);
            double fy = sy - y0;
            for (int x = 0; x < tw; x++) {
                double sx = Math.max(0, Math.min(w - 1, (x + 0.5) * w / tw - 0.5));
                int x0 = (int) sx, x1 = Math.min(w - 1, x0 + 1);
                double fx = sx - x0;
                for (int c = 0; c < planes.length; c++) {
                    int[] p = planes[c];
                    double v = (p[y0 * w + x0] * (1 - fx) + p[y0 * w + x1] * fx) * (1 - fy) + (p[y1 * w + x0] * (1 - fx) + p[y1 * w + x1] * fx) * fy;
                    out[c][y * tw + x] = (int) Math.round(v);
                }
            }
        }
        return out;
    }
}
