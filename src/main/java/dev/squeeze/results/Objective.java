package dev.squeeze.results;

import dev.squeeze.SqueezeException;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a search optimises, each with its direction; keys as in front.json and trials.jsonl. A job has exactly one
 * quality objective ({@link #quality()}): how close the compressed model stays to the uncompressed one, measured on
 * the calibration images. {@link #ACCURACY} and {@link #TOP5_ACCURACY} need labels; {@link #AGREEMENT},
 * {@link #OUTPUT_COSINE} and {@link #OUTPUT_KL} compare with the uncompressed model's own outputs and need none. The
 * rest are costs, from the device profile.
 */
public enum Objective {
    ACCURACY(true, Quality.LABELLED), TOP5_ACCURACY(true, Quality.LABELLED), AGREEMENT(true, Quality.LABEL_FREE),
    OUTPUT_COSINE(true, Quality.LABEL_FREE), OUTPUT_KL(false, Quality.LABEL_FREE),
    LATENCY_MS(false, Quality.NONE), ENERGY_MJ(false, Quality.NONE), SIZE_MB(false, Quality.NONE), PEAK_MEMORY_MB(false, Quality.NONE);

    private enum Quality { NONE, LABELLED, LABEL_FREE }

    private final boolean maximize;
    private final Quality quality;

    Objective(boolean maximize, Quality quality) {
        this.maximize = maximize;
        this.quality = quality;
    }

    public boolean maximize() {
        return maximize;
    }

    /** Whether this objective measures the compressed model's quality (the rungs measure it), not a cost. */
    public boolean quality() {
        return quality != Quality.NONE;
    }

    /** Whether measuring it needs the data's labels. */
    public boolean needsLabels() {
        return quality == Quality.LABELLED;
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The key of this objective's value as a lower rung obtained it, kept on a trial beside the higher rung's value
     * ({@code accuracy_predicted} on a measured trial, {@code accuracy_measured} on a recovered one).
     */
    public String keyAt(Fidelity rung) {
        return key() + "_" + rung.key();
    }

    /** The key of the constraint on how far a quality objective may fall behind the uncompressed model: {@code accuracy_drop}. */
    public String dropKey() {
        return key() + "_drop";
    }

    /** How far {@code value} is behind {@code baseline}, positive when worse, in this objective's units. */
    public double drop(double baseline, double value) {
        return maximize ? baseline - value : value - baseline;
    }

    /** The value {@code drop} behind {@code baseline}: the inverse of {@link #drop}. */
    public double behind(double baseline, double drop) {
        return maximize ? baseline - drop : baseline + drop;
    }

    /**
     * A quality value on a 0-to-1 scale where higher is better, for the search's accuracy model (which works on the
     * logit scale): the value itself for the bounded metrics, {@code exp(-KL)} for {@link #OUTPUT_KL}.
     */
    public double toUnit(double value) {
        return this == OUTPUT_KL ? Math.exp(-Math.max(0, value)) : value;
    }

    /** The inverse of {@link #toUnit}. */
    public double fromUnit(double unit) {
        return this == OUTPUT_KL ? -Math.log(Math.max(1e-12, unit)) : unit;
    }

    public String direction() {
        return maximize ? "max" : "min";
    }

    /** Whether {@code a} is strictly better than {@code b}. */
    public boolean better(double a, double b) {
        return maximize ? a > b : a < b;
    }

    /** The one quality objective among {@code objectives}, or {@link #ACCURACY} when they list none (older runs, benchmarks). */
    public static Objective qualityOf(List<Objective> objectives) {
        return objectives.stream().filter(Objective::quality).findFirst().orElse(ACCURACY);
    }

    public static Objective parse(String key, String where) {
        for (Objective o : values()) if (o.key().equals(key)) return o;
        var keys = Arrays.stream(values()).map(Objective::key).toList();
        String close = dev.squeeze.Yaml.closest(key, keys);
        throw new SqueezeException(where + ": unknown objective '" + key + "'" + (close != null ? " (did you mean '" + close + "'?)" : "")
                + "; objectives: " + String.join(", ", keys));
    }
}
