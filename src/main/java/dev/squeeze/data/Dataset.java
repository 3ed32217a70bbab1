package dev.squeeze.data;

import java.util.List;

/**
 * A data source as read: its splits before {@link DataSplits} cuts them. With both train and test, calibration is
 * drawn from train by seed unless the source has its own; with only one of them, that one is divided into train,
 * calibration and test by seed (the embedded Fashion-MNIST test file, a folder of class subfolders).
 *
 * @param train       null when the source has none
 * @param calibration null unless the source names its own calibration split
 * @param test        null when the source has none
 * @param draw        the calibration count and seed the source declares (each null: the command's)
 * @param skipped     files left out ({@code skip_bad}), with why
 * @param declaration the SHA-256 of the {@code squeeze-data/v1} file that declared the source (null: none), so a
 *                    search's cache key changes when the file does
 */
public record Dataset(DataFormat format, DataSource source, Split train, Split calibration, Split test, Draw draw,
                      List<Skipped> skipped, String declaration) {
    /** One split's samples and the file or folder they came from (recorded in every result's provenance). */
    public record Split(Images images, String from) {}

    /** A file that was not read, and why. */
    public record Skipped(String file, String reason) {}

    /** {@code calibration: {count: N, seed: S}} of a data file; null fields leave the command's choice. */
    public record Draw(Integer count, Long seed) {
        public static final Draw COMMAND = new Draw(null, null);
    }

    public Dataset {
        skipped = List.copyOf(skipped);
        if (train == null && test == null) throw new IllegalArgumentException("a data source needs a train or a test split");
    }

    /** A source no data file declared. */
    public Dataset(DataFormat format, DataSource source, Split train, Split calibration, Split test, Draw draw, List<Skipped> skipped) {
        this(format, source, train, calibration, test, draw, skipped, null);
    }

    /** The same source, declared by the data file of this SHA-256. */
    Dataset declaredBy(String sha256) {
        return new Dataset(format, source, train, calibration, test, draw, skipped, sha256);
    }

    /** Any split, for what every split shares (shape, classes, scaling). */
    public Images any() {
        return (test != null ? test : train).images();
    }
}
