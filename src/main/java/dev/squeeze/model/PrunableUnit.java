package dev.squeeze.model;

/** What structured pruning removes from a layer. */
public enum PrunableUnit {
    /** Output channels of a convolution. */
    CHANNELS,
    /** Output units of a dense layer. */
    UNITS,
    /** Attention heads (Q, K, V and the matching rows of O together). */
    HEADS,
    /** Nothing to prune. */
    NONE;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
