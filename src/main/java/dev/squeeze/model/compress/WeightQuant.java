package dev.squeeze.model.compress;

/**
 * How one weight tensor was quantised: export writes these codes' scales beside the integer weights.
 *
 * @param bits   2..8 (integer codes), 16 (fp16; no scales)
 * @param axis   the weight's output-channel axis (scales run along it)
 * @param scales per output channel, or per block of each channel ({@code max|w| / qmax}, 1 for an all-zero block),
 *               channel by channel
 * @param block  consecutive values of a channel along its reduction (input features) that share a scale: the
 *               channel's whole length when there is one scale per channel ({@link Deployment#nbitsBlock} for the
 *               weights ONNX Runtime runs as MatMulNBits); 1 at 16 bits, where it means nothing
 */
public record WeightQuant(int bits, int axis, float[] scales, int block) {
    public WeightQuant {
        if (block < 1) throw new IllegalArgumentException("block must be >= 1, not " + block);
        scales = scales.clone();
    }

    /** A float16 weight: no scales. */
    public static WeightQuant fp16() {
        return new WeightQuant(16, -1, new float[0], 1);
    }

    @Override
    public float[] scales() {
        return scales.clone();
    }
}
