package dev.squeeze.data;

import dev.squeeze.SqueezeException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeSet;

/**
 * Finds and reads a data source. {@code --data} (or {@code SQUEEZE_DATA}) names a {@code squeeze-data/v1} file
 * ({@link DataDeclaration}) or a folder, which is recognised by what it holds:
 * <ol>
 *   <li>any of the four Fashion-MNIST {@code .gz} files: Fashion-MNIST ({@link FashionMnist});</li>
 *   <li>{@code train/} and {@code test/} (and optionally {@code calibration/}), each with one subfolder per class
 *       (or images directly, unlabelled): an image folder with those splits;</li>
 *   <li>class subfolders of images directly (or images directly, unlabelled): one image folder that
 *       {@link DataSplits} divides into train, calibration and test by seed.</li>
 * </ol>
 * With neither, Fashion-MNIST's lookup order applies (the Debian package, then the embedded test split).
 */
public final class DataSources {
    private static final String LAYOUTS = "give a folder holding the four Fashion-MNIST .gz files (" + FashionMnist.TEST_IMAGES + ", ...), "
            + "train/ and test/ folders with one subfolder per class, or class subfolders of images; or a squeeze-data/v1 file";

    private DataSources() {}

    /** The data at {@code data} (a folder or data file; null: {@code SQUEEZE_DATA}, the package, the embedded split). */
    public static Dataset load(Path data) {
        return load(data, false);
    }

    /** As {@link #load(Path)}; {@code skipBad} leaves unreadable images out (counted in {@link Dataset#skipped()}). */
    public static Dataset load(Path data, boolean skipBad) {
        if (data != null) return open(data, "--data", skipBad);
        String env = System.getenv(FashionMnist.ENV);
        if (env != null && !env.isBlank() && !FashionMnist.EMBEDDED_ONLY.equals(env)) return open(Path.of(env), FashionMnist.ENV, skipBad);
        return FashionMnist.load(null);
    }

    static Dataset open(Path path, String how, boolean skipBad) {
        if (Files.isRegularFile(path)) {
            if (!DataDeclaration.isDataFile(path)) {
                throw new SqueezeException(path + " (from " + how + ") is a file but not a squeeze-data/v1 .yaml file: " + LAYOUTS);
            }
            return declared(DataDeclaration.read(path), how, skipBad);
        }
        if (!Files.isDirectory(path)) {
            throw new SqueezeException(path + " (from " + how + ") does not exist: " + LAYOUTS + " (or apt-get install "
                    + FashionMnist.PACKAGE + " and drop " + how + ")");
        }
        return folder(path, how, skipBad);
    }

    /** A folder given without a data file, recognised by its layout. */
    static Dataset folder(Path dir, String how, boolean skipBad) {
        if (FashionMnist.looksLike(dir)) return FashionMnist.load(how, dir);
        Path train = dir.resolve("train"), test = dir.resolve("test"), calibration = dir.resolve("calibration");
        var input = DataDeclaration.Input.DEFAULT;
        if (Files.isDirectory(train) && Files.isDirectory(test)) {
            boolean labelled = !ImageFolders.classFolders(train).isEmpty();
            return imageFolders(new DataSource(how, dir.toString(), true), train, Files.isDirectory(calibration) ? calibration : null, test,
                    labelled, input, skipBad, Dataset.Draw.COMMAND);
        }
        boolean classes = ImageFolders.classFolders(dir).stream().anyMatch(c -> ImageFolders.holdsImages(dir.resolve(c)));
        if (classes || ImageFolders.holdsImages(dir)) {
            return imageFolders(new DataSource(how, dir.toString(), false), null, null, dir, classes, input, skipBad, Dataset.Draw.COMMAND);
        }
        throw new SqueezeException(dir + " (from " + how + ") holds no data squeeze recognises: " + LAYOUTS);
    }

    static Dataset declared(DataDeclaration d, String how, boolean skipBad) {
        skipBad |= d.skipBad();
        var source = new DataSource(how, d.file().toString(), d.train() != null);
        Dataset read = switch (d.format()) {
            case FASHION_MNIST -> fashion(d, how);
            case IMAGE_FOLDER -> imageFolders(source, path(d.train()), path(d.calibration()), path(d.test()),
                    d.labels() instanceof DataDeclaration.Labels.Folders, d.input(), skipBad, d.draw());
            case CSV, NPY, IDX -> arrays(d, source);
        };
        return read.declaredBy(d.sha256());
    }

    private static Path path(DataDeclaration.SplitRef s) {
        return s == null ? null : s.path();
    }

    private static Dataset fashion(DataDeclaration d, String how) {
        Path dir = d.test() != null ? d.test().path() : d.train() != null ? d.train().path() : null;
        Dataset found = dir == null ? FashionMnist.load(null) : FashionMnist.load(how + " " + d.file(), dir);
        Scaling scaling = d.input().scaling(true);
        check(scaling.fits(1), d, "input mean and std need one value for Fashion-MNIST's one channel");
        return new Dataset(DataFormat.FASHION_MNIST, found.source(), rescaled(found.train(), scaling), null, rescaled(found.test(), scaling),
                d.draw(), List.of());
    }

    private static Dataset.Split rescaled(Dataset.Split s, Scaling scaling) {
        return s == null ? null : new Dataset.Split(s.images().withScaling(scaling), s.from());
    }

    private static Dataset imageFolders(DataSource source, Path train, Path calibration, Path test, boolean labelled,
                                        DataDeclaration.Input input, boolean skipBad, Dataset.Draw draw) {
        var skipped = new ArrayList<Dataset.Skipped>();
        String fix = "check the paths of the data (" + source.location() + ")";
        SampleShape shape = input.shape();
        String shapeFrom = "input.shape says";
        if (shape != null && !shape.isImage()) throw new SqueezeException(source.location() + ": image data needs input shape [C, H, W], got " + shape);
        var read = new LinkedHashMap<String, ImageFolders.Read>();
        var paths = new LinkedHashMap<String, Path>();
        paths.put("train", train);
        paths.put("calibration", calibration);
        paths.put("test", test);
        String firstSplit = null;
        for (var e : paths.entrySet()) {
            if (e.getValue() == null) continue;
            var r = ImageFolders.read(e.getValue(), labelled, shape, shapeFrom, input.resize(), skipBad, skipped, fix);
            if (firstSplit == null) {
                shape = r.shape();
                if (input.shape() == null) shapeFrom = "the images of " + e.getValue() + " are";
                firstSplit = e.getKey();
            } else if (!r.classes().equals(read.get(firstSplit).classes())) {
                throw differentClasses(paths.get(firstSplit), read.get(firstSplit).classes(), e.getValue(), r.classes());
            }
            read.put(e.getKey(), r);
        }
        Scaling scaling = input.scaling(true);
        if (!scaling.fits(shape.channels())) {
            throw new SqueezeException(source.location() + ": input mean and std need one value or one per channel (" + shape.channels()
                    + " for " + shape + "), got " + scaling.mean() + " and " + scaling.std());
        }
        var splits = new LinkedHashMap<String, Dataset.Split>();
        for (var e : read.entrySet()) {
            var r = e.getValue();
            splits.put(e.getKey(), new Dataset.Split(new Images(r.shape(), new Values.Bytes(r.values()), r.labels(), r.classes(), scaling),
                    paths.get(e.getKey()).toString()));
        }
        return new Dataset(DataFormat.IMAGE_FOLDER, source, splits.get("train"), splits.get("calibration"), splits.get("test"), draw, skipped);
    }

    private static SqueezeException differentClasses(Path a, List<String> ca, Path b, List<String> cb) {
        var missing = new TreeSet<>(ca);
        missing.removeAll(cb);
        var extra = new TreeSet<>(cb);
        extra.removeAll(ca);
        return new SqueezeException(b + " has other class folders than " + a + " (" + (missing.isEmpty() ? "" : "missing " + missing)
                + (missing.isEmpty() || extra.isEmpty() ? "" : ", ") + (extra.isEmpty() ? "" : "extra " + extra)
                + "): give every split the same class subfolders");
    }

    /** One split of CSV, NPY or IDX data before classes are known across splits. */
    private record Raw(SampleShape stored, Values values, int[] labels, String[] labelCells, String from, Path file) {
        int count() {
            return values.length() / stored.size();
        }
    }

    private static Dataset arrays(DataDeclaration d, DataSource source) {
        var raws = new LinkedHashMap<String, Raw>();
        var refs = new LinkedHashMap<String, DataDeclaration.SplitRef>();
        refs.put("train", d.train());
        refs.put("calibration", d.calibration());
        refs.put("test", d.test());
        for (var e : refs.entrySet()) {
            if (e.getValue() == null) continue;
            raws.put(e.getKey(), switch (d.format()) {
                case CSV -> csv(d, e.getValue());
                case NPY -> npy(d, e.getValue());
                default -> idx(d, e.getValue());
            });
        }
        // one set of classes for every split
        List<String> classes;
        boolean labelled = raws.values().stream().allMatch(r -> r.labels() != null || r.labelCells() != null);
        var labels = new LinkedHashMap<String, int[]>();
        if (!labelled) {
            classes = List.of();
        } else if (raws.values().stream().allMatch(r -> r.labels() != null || Arrays.stream(r.labelCells()).allMatch(c -> c.matches("\\d{1,9}")))) {
            int max = 0;
            for (var e : raws.entrySet()) {
                int[] l = e.getValue().labels() != null ? e.getValue().labels() : Arrays.stream(e.getValue().labelCells()).mapToInt(Integer::parseInt).toArray();
                labels.put(e.getKey(), l);
                for (int v : l) max = Math.max(max, v);
            }
            classes = Images.numberedClasses(max + 1);
        } else {
            var names = new TreeSet<String>();
            for (Raw r : raws.values()) names.addAll(Arrays.asList(r.labelCells()));
            classes = List.copyOf(names);
            for (var e : raws.entrySet()) labels.put(e.getKey(), Arrays.stream(e.getValue().labelCells()).mapToInt(classes::indexOf).toArray());
        }
        SampleShape stored = null;
        String storedFrom = null;
        var splits = new LinkedHashMap<String, Dataset.Split>();
        for (var e : raws.entrySet()) {
            Raw r = e.getValue();
            if (stored == null) {
                stored = r.stored();
                storedFrom = r.from();
            } else if (!stored.equals(r.stored())) {
                throw new SqueezeException(r.from() + " holds samples of shape " + r.stored() + " but " + storedFrom + " holds " + stored
                        + ": give every split the same features");
            }
            SampleShape shape = d.input().shape() != null ? d.input().shape() : stored;
            if (shape.size() != stored.size()) {
                throw new SqueezeException(d.file() + ": input shape " + shape + " has " + shape.size() + " values but " + r.from() + " has "
                        + stored.size() + " per sample (" + stored + "): fix input.shape");
            }
            Scaling scaling = d.input().scaling(r.values() instanceof Values.Bytes);
            if (!scaling.fits(shape.channels())) {
                throw new SqueezeException(d.file() + ": input mean and std need one value or one per index of the first axis (" + shape.channels()
                        + " for " + shape + "), got " + scaling.mean() + " and " + scaling.std());
            }
            splits.put(e.getKey(), new Dataset.Split(new Images(shape, r.values(), labelled ? labels.get(e.getKey()) : null, classes, scaling), r.from()));
        }
        if (!labelled && !(d.labels() instanceof DataDeclaration.Labels.None)) {
            throw new SqueezeException(d.file() + ": some splits have labels and some do not: give each split its labels, or declare labels: none");
        }
        return new Dataset(d.format(), source, splits.get("train"), splits.get("calibration"), splits.get("test"), d.draw(), List.of());
    }

    private static Raw csv(DataDeclaration d, DataDeclaration.SplitRef s) {
        String column = d.labels() instanceof DataDeclaration.Labels.Column c ? c.name() : null;
        CsvTable.Read t = CsvTable.read(s.path(), column);
        return new Raw(SampleShape.of(t.features()), new Values.Floats(t.values()), null, t.labels(), s.path().toString(), s.path());
    }

    private static Raw npy(DataDeclaration d, DataDeclaration.SplitRef s) {
        Path file = s.path();
        boolean npz = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npz");
        NpyArrays.Array features;
        int[] labels = null;
        if (npz) {
            var all = NpyArrays.readAll(file);
            String labelName = d.labels() instanceof DataDeclaration.Labels.File f ? strip(f.name()) : null;
            if (labelName != null && s.labels() == null) {
                if (!all.containsKey(labelName)) {
                    throw new SqueezeException(file + " has no labels array '" + labelName + "' (it holds " + all.keySet()
                            + "): name the labels array in labels: {file: NAME}, or declare labels: none");
                }
                labels = NpyArrays.labels(all.get(labelName), file + ":" + labelName);
            }
            var rest = new ArrayList<>(all.keySet());
            rest.remove(labelName);
            if (rest.size() != 1) {
                throw new SqueezeException(file + " holds arrays " + rest + " besides the labels: keep one features array (and the labels) in it");
            }
            features = all.get(rest.get(0));
        } else {
            features = NpyArrays.read(file);
        }
        Path labelFile = labelFile(d, s);
        if (labels == null && labelFile != null) labels = NpyArrays.labels(NpyArrays.read(requireLabels(labelFile, d)), labelFile.toString());
        return raw(file, features.dims(), features.values(), labels);
    }

    private static Raw idx(DataDeclaration d, DataDeclaration.SplitRef s) {
        Path file = s.path();
        String fix = "write it again as an IDX file (magic 0x0000 type rank, big-endian dimensions, then the values)";
        IdxReader.Idx idx;
        try (var in = Files.newInputStream(file)) {
            idx = IdxReader.read(in, file.toString(), fix);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new SqueezeException(file + ": no such file: fix the path in " + d.file());
        } catch (java.io.IOException e) {
            throw new SqueezeException(file + ": cannot read (" + e.getMessage() + ")");
        }
        Path labelFile = labelFile(d, s);
        int[] labels = null;
        if (labelFile != null) {
            try (var in = Files.newInputStream(requireLabels(labelFile, d))) {
                labels = IdxReader.labels(in, labelFile.toString(), fix);
            } catch (java.io.IOException e) {
                throw new SqueezeException(labelFile + ": cannot read (" + e.getMessage() + ")");
            }
        }
        return raw(file, idx.dims(), idx.values(), labels);
    }

    /** The split's own labels file, or {@code labels: {file: F}} beside its data (null: unlabelled, or inside an npz). */
    private static Path labelFile(DataDeclaration d, DataDeclaration.SplitRef s) {
        if (s.labels() != null) return s.labels();
        if (d.labels() instanceof DataDeclaration.Labels.File f && !s.path().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npz")) {
            return s.path().resolveSibling(f.name());
        }
        return null;
    }

    private static Path requireLabels(Path labels, DataDeclaration d) {
        if (!Files.isRegularFile(labels)) {
            throw new SqueezeException(labels + ": no such labels file (" + d.file() + " asks for labels there): write it, fix labels, or declare labels: none");
        }
        return labels;
    }

    private static String strip(String name) {
        return name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
    }

    private static Raw raw(Path file, int[] dims, Values values, int[] labels) {
        if (dims.length == 0 || dims[0] == 0) throw new SqueezeException(file + " holds no samples: its first dimension counts them");
        int[] rest = Arrays.copyOfRange(dims, 1, dims.length);
        SampleShape stored = rest.length == 0 ? SampleShape.of(1) : rest.length == 2 ? SampleShape.of(1, rest[0], rest[1]) : SampleShape.of(rest);
        if (labels != null && labels.length != dims[0]) {
            throw new SqueezeException(file + " holds " + dims[0] + " samples but its labels hold " + labels.length + ": give one label per sample");
        }
        return new Raw(stored, values, labels, null, file.toString(), file);
    }

    private static void check(boolean ok, DataDeclaration d, String problem) {
        if (!ok) throw new SqueezeException(d.file() + ": " + problem);
    }
}
