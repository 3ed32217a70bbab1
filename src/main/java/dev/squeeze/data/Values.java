package dev.squeeze.data;

import java.util.Arrays;

/**
 * The values of a set of samples, flat and in sample order, stored as they came: unsigned bytes (image files, IDX,
 * uint8 NPY: a quarter of the memory of floats, and no 188 MB float copy of a 60k-image train split) or floats (CSV,
 * float NPY). {@link Scaling} turns a stored value into a model input. Immutable by convention.
 */
public sealed interface Values {
    int length();

    /** Value {@code i} as stored: 0..255 for bytes. */
    float raw(int i);

    /** Values {@code [from, to)}, as a new store of the same kind. */
    Values range(int from, int to);

    /** The samples of {@code size} values at {@code indices}, in that order. */
    Values samples(int[] indices, int size);

    /**
     * Zero-filled store of the same kind, into which {@link #gather} copies: how augmentation moves values without
     * knowing their kind.
     */
    Values blank(int length);

    /** {@code into[intoBase + k] = this[fromBase + map[k]]} for every {@code map[k] >= 0}. */
    void gather(int fromBase, int[] map, Values into, int intoBase);

    /** "uint8" or "float32", for inspect. */
    String kind();

    record Bytes(byte[] values) implements Values {
        public int length() {
            return values.length;
        }

        public float raw(int i) {
            return values[i] & 0xff;
        }

        public Values range(int from, int to) {
            return new Bytes(Arrays.copyOfRange(values, from, to));
        }

        public Values samples(int[] indices, int size) {
            byte[] out = new byte[Math.multiplyExact(indices.length, size)];
            for (int i = 0; i < indices.length; i++) System.arraycopy(values, indices[i] * size, out, i * size, size);
            return new Bytes(out);
        }

        public Values blank(int length) {
            return new Bytes(new byte[length]);
        }

        public void gather(int fromBase, int[] map, Values into, int intoBase) {
            byte[] out = ((Bytes) into).values;
            for (int k = 0; k < map.length; k++) if (map[k] >= 0) out[intoBase + k] = values[fromBase + map[k]];
        }

        public String kind() {
            return "uint8";
        }
    }

    record Floats(float[] values) implements Values {
        public int length() {
            return values.length;
        }

        public float raw(int i) {
            return values[i];
        }

        public Values range(int from, int to) {
            return new Floats(Arrays.copyOfRange(values, from, to));
        }

        public Values samples(int[] indices, int size) {
            float[] out = new float[Math.multiplyExact(indices.length, size)];
            for (int i = 0; i < indices.length; i++) System.arraycopy(values, indices[i] * size, out, i * size, size);
            return new Floats(out);
        }

        public Values blank(int length) {
            return new Floats(new float[length]);
        }

        public void gather(int fromBase, int[] map, Values into, int intoBase) {
            float[] out = ((Floats) into).values;
            for (int k = 0; k < map.length; k++) if (map[k] >= 0) out[intoBase + k] = values[fromBase + map[k]];
        }

        public String kind() {
            return "float32";
        }
    }
}
