package dev.squeeze.data;

import java.util.Arrays;
import java.util.List;

/** The formats a {@code squeeze-data/v1} file's {@code format:} names. */
public enum DataFormat {
    IMAGE_FOLDER("image-folder"),
    CSV("csv"),
    NPY("npy"),
    IDX("idx"),
    FASHION_MNIST("fashion-mnist");

    private final String label;

    DataFormat(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static List<String> labels() {
        return Arrays.stream(values()).map(DataFormat::label).toList();
    }

    /** The format spelled {@code label}, or null. */
    static DataFormat of(String label) {
        for (DataFormat f : values()) if (f.label.equals(label)) return f;
        return null;
    }
}
