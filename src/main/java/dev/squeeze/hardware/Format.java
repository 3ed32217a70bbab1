package dev.squeeze.hardware;

import java.util.List;
import java.util.Locale;

/**
 * A number format a device computes in. A plan names bit-widths (2..8 integer, 16 = fp16, 32 = float);
 * the cost model maps them onto the smallest format a device supports that holds both operands.
 */
public enum Format {
    INT4(4, true),
    INT8(8, true),
    /** Listed for completeness (H100); plan bit-widths are integer or fp16/fp32, so the cost model never picks it. */
    FP8(8, false),
    FP16(16, false),
    BF16(16, false),
    FP32(32, false);

    /** The order in which the cost model tries formats for a layer: narrowest first. */
    public static final List<Format> LADDER = List.of(INT4, INT8, FP16, BF16, FP32);

    private final int bits;
    private final boolean integer;

    Format(int bits, boolean integer) {
        this.bits = bits;
        this.integer = integer;
    }

    public int bits() {
        return bits;
    }

    public boolean integer() {
        return integer;
    }

    /** The name in profiles and output ({@code int8}, {@code fp16}, ...). */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static List<String> keys() {
        return java.util.Arrays.stream(values()).map(Format::key).toList();
    }

    public static Format of(String key) {
        return valueOf(key.toUpperCase(Locale.ROOT));
    }

    /** Whether values of the given plan bit-width (2..8 integer, 16 fp16, 32 fp32) fit this format exactly. */
    public boolean holds(int planBits) {
        if (planBits <= 8) return bits >= planBits && (integer || bits >= 16);
        return !integer && bits >= planBits;
    }
}
