package dev.squeeze.results;

import dev.squeeze.SqueezeException;

import java.util.Arrays;
import java.util.Locale;

/** What a search optimises, each with its direction; keys as in front.json and trials.jsonl. */
public enum Objective {
    ACCURACY(true), LATENCY_MS(false), ENERGY_MJ(false), SIZE_MB(false), PEAK_MEMORY_MB(false);

    private final boolean maximize;

    Objective(boolean maximize) {
        this.maximize = maximize;
    }

    public boolean maximize() {
        return maximize;
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

    public String direction() {
        return maximize ? "max" : "min";
    }

    /** Whether {@code a} is strictly better than {@code b}. */
    public boolean better(double a, double b) {
        return maximize ? a > b : a < b;
    }

    public static Objective parse(String key, String where) {
        for (Objective o : values()) if (o.key().equals(key)) return o;
        String close = dev.squeeze.Yaml.closest(key, Arrays.stream(values()).map(Objective::key).toList());
        throw new SqueezeException(where + ": unknown objective '" + key + "'" + (close != null ? " (did you mean '" + close + "'?)" : "")
                + "; objectives: accuracy, latency_ms, energy_mj, size_mb, peak_memory_mb");
    }
}
