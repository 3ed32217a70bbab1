package dev.squeeze.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code squeeze inspect --data} reports: the source and its format, the sample shape and storage, the classes,
 * each split as found (count, per-class counts, value range after scaling) and as commands cut it, and every file
 * left out.
 */
public final class DataInspection {
    private DataInspection() {}

    /**
     * @param perClass samples per class, in {@code classes} order (null for unlabelled data)
     * @param min      the smallest model input after scaling
     * @param max      the largest
     */
    public record Split(String name, String from, int count, int[] perClass, float min, float max) {}

    /**
     * @param cut how {@link DataSplits} divides the source with seed {@link #SEED} and the default calibration size:
     *            train, calibration and test counts
     */
    public record Report(String format, String source, String location, String shape, String storage, double scale,
                         List<Double> mean, List<Double> std, boolean labelled, List<String> classes, List<Split> splits,
                         Cut cut, List<Dataset.Skipped> skipped) {}

    /** The split commands make: counts and where each part came from. */
    public record Cut(long seed, int train, int calibration, int test, String trainFrom, String calibrationFrom, String testFrom) {}

    public static final long SEED = 42;

    public static Report of(Path data, boolean skipBad) {
        return of(DataSources.load(data, skipBad));
    }

    public static Report of(Dataset d) {
        var splits = new ArrayList<Split>();
        add(splits, "train", d.train());
        add(splits, "calibration", d.calibration());
        add(splits, "test", d.test());
        Images any = d.any();
        var c = DataSplits.of(d, SEED, DataSplits.DEFAULT_CALIBRATION).description();
        return new Report(d.format().label(), d.source().kind(), d.source().location(), any.shape().toString(), any.values().kind(),
                any.scaling().scale(), any.scaling().mean(), any.scaling().std(), any.labelled(), any.classNames(), splits,
                new Cut(c.seed(), c.train(), c.calibration(), c.test(), c.trainFrom(), c.calibrationFrom(), c.testFrom()), d.skipped());
    }

    private static void add(List<Split> out, String name, Dataset.Split s) {
        if (s == null) return;
        Images images = s.images();
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        int chunk = Math.max(1, (1 << 20) / images.shape().size());
        float[] buf = new float[chunk * images.shape().size()];
        for (int from = 0; from < images.count(); from += chunk) {
            int to = Math.min(images.count(), from + chunk);
            images.decode(from, to, buf);
            for (int i = 0; i < (to - from) * images.shape().size(); i++) {
                min = Math.min(min, buf[i]);
                max = Math.max(max, buf[i]);
            }
        }
        out.add(new Split(name, s.from(), images.count(), images.labelled() ? images.perClass() : null, min, max));
    }
}
