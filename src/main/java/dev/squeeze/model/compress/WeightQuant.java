package dev.squeeze.model.compress;

/**
 * How one weight tensor was quantised: export writes these codes' scales beside the integer weights.
 *
 * @param bits   2..8 (integer codes), 16 (fp16; no scales)
 * @param axis   the weight's output-channel axis (one scale per position along it)
 * @param scales per output channel, {@code max|w| / qmax} (1 for an all-zero channel)
 */
public record WeightQuant(int bits, int axis, float[] scales) {
    public WeightQuant {
        scales = scales.clone();
    }

    @Override
    public float[] scales() {
        return scales.clone();
    }
}
