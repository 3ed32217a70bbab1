package dev.squeeze.results;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * How an accuracy was obtained: the rungs of the fidelity ladder, lowest first. {@code PREDICTED} from the sensitivity
 * table, {@code MEASURED} on the calibration images with the plan applied as export applies it, {@code RECOVERED}
 * likewise after a short distillation fine-tune. Its file form (trials.jsonl, evaluation caches, front.json, the
 * cluster's messages and results map) is the lower-case name, as it was when fidelities were plain strings.
 */
public enum Fidelity {
    PREDICTED, MEASURED, RECOVERED;

    /** The file form: {@code predicted}, {@code measured} or {@code recovered}. */
    @JsonValue
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The file form, so tables and log lines print what they printed before the enum existed. */
    @Override
    public String toString() {
        return key();
    }

    /** The fidelity a file names; an unknown name is an {@link IllegalArgumentException} naming the three. */
    @JsonCreator
    public static Fidelity of(String key) {
        for (Fidelity f : values()) if (f.key().equals(key)) return f;
        throw new IllegalArgumentException("unknown fidelity '" + key + "'; fidelities: predicted, measured, recovered");
    }
}
