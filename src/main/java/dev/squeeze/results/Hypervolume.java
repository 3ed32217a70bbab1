package dev.squeeze.results;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Exact hypervolume of a set of points in a minimisation space, dominated region bounded by a
 * reference point (points not strictly better than it in every dimension add nothing). Computed by
 * slicing along the last dimension (HSO): fine for the tens of points a front holds.
 */
public final class Hypervolume {
    private Hypervolume() {}

    public static double of(List<double[]> points, double[] reference) {
        List<double[]> inside = new ArrayList<>();
        for (double[] p : points) {
            boolean ok = true;
            for (int i = 0; i < reference.length; i++) ok &= p[i] < reference[i];
            if (ok) inside.add(p);
        }
        return volume(inside, reference, reference.length);
    }

    private static double volume(List<double[]> points, double[] ref, int dims) {
        if (points.isEmpty()) return 0;
        if (dims == 1) {
            double best = ref[0];
            for (double[] p : points) best = Math.min(best, p[0]);
            return ref[0] - best;
        }
        int d = dims - 1;
        List<double[]> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(p -> p[d]));
        double total = 0;
        for (int i = 0; i < sorted.size(); i++) {
            double lower = sorted.get(i)[d];
            double upper = i + 1 < sorted.size() ? sorted.get(i + 1)[d] : ref[d];
            if (upper <= lower) continue;
            // points with last coordinate <= lower dominate this slab
            total += (upper - lower) * volume(sorted.subList(0, i + 1), ref, d);
        }
        return total;
    }

    /**
     * Maps trials' objective values into a minimisation space normalised by a reference: minimised
     * objectives as {@code value / reference}, accuracy as {@code (referenceAccuracy - accuracy) / referenceAccuracy}
     * shifted so that the reference point is {@code 1} in every dimension.
     */
    public static double[] normalise(double[] values, List<Objective> objectives, double[] reference) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            Objective o = objectives.get(i);
            out[i] = o.maximize() ? 1 + (reference[i] - values[i]) / Math.max(Math.abs(reference[i]), 1e-12)
                    : values[i] / Math.max(Math.abs(reference[i]), 1e-12);
        }
        return out;
    }

    /** The reference point {@code 1, 1, ...} of the normalised space. */
    public static double[] unitReference(int dims) {
        double[] r = new double[dims];
        Arrays.fill(r, 1.0);
        return r;
    }
}
