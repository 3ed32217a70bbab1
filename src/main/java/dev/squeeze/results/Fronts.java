package dev.squeeze.results;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Pareto fronts over trials (plain dominance on objective values; no search library needed). */
public final class Fronts {
    private Fronts() {}

    /** Feasible trials that no other feasible trial dominates, ordered by id. Duplicated values keep the first. */
    public static List<Trial> feasible(List<Trial> trials, List<Objective> objectives) {
        List<Trial> feasible = trials.stream().filter(Trial::feasible).toList();
        var front = new ArrayList<Trial>();
        for (Trial a : feasible) {
            boolean dominated = false;
            for (Trial b : feasible) {
                if (a != b && (dominates(b, a, objectives) || (equal(a, b, objectives) && b.id().compareTo(a.id()) < 0))) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) front.add(a);
        }
        front.sort(Comparator.comparing(Trial::id));
        return front;
    }

    /** The {@code n} least-violating trials, for runs where nothing was feasible. */
    public static List<Trial> leastViolating(List<Trial> trials, int n) {
        return trials.stream().sorted(Comparator.comparingDouble(Trial::violation).thenComparing(Trial::id)).limit(n).toList();
    }

    public static boolean dominates(Trial a, Trial b, List<Objective> objectives) {
        boolean strictly = false;
        for (Objective o : objectives) {
            double x = a.value(o), y = b.value(o);
            if (o.better(y, x)) return false;
            if (o.better(x, y)) strictly = true;
        }
        return strictly;
    }

    private static boolean equal(Trial a, Trial b, List<Objective> objectives) {
        for (Objective o : objectives) if (a.value(o) != b.value(o)) return false;
        return true;
    }

    /** Hypervolume of the trials' feasible front in the space normalised by {@code reference}. */
    public static double hypervolume(List<Trial> trials, List<Objective> objectives, double[] reference) {
        var points = new ArrayList<double[]>();
        for (Trial t : feasible(trials, objectives)) {
            double[] v = new double[objectives.size()];
            for (int i = 0; i < v.length; i++) v[i] = t.value(objectives.get(i));
            points.add(Hypervolume.normalise(v, objectives, reference));
        }
        return Hypervolume.of(points, Hypervolume.unitReference(objectives.size()));
    }
}
