package dev.squeeze.search;

import dev.squeeze.results.Constraint;
import dev.squeeze.results.Hypervolume;
import dev.squeeze.results.Objective;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How much a plan not yet measured is expected to add to the hypervolume of the front so far, when its costs are
 * known exactly (the cost model) and only its accuracy is uncertain (an {@link AccuracySurrogate.Prediction}): the
 * expected hypervolume improvement, integrated over the predicted accuracy by Gauss-Hermite quadrature. A plan
 * predicted just below the front still scores when its spread reaches above it, which is how uncertainty earns
 * plans an evaluation. Works in the normalised space {@link dev.squeeze.results.Fronts#hypervolume} uses. Immutable:
 * {@link #with} returns the front with one more point.
 */
final class HypervolumeGain {
    /** Nodes and weights of the 9-point Gauss-Hermite rule for a standard normal variable. */
    private static final double[] NODES = {-4.51274586339978, -3.20542900285647, -2.07684797867783, -1.02325566378913, 0,
            1.02325566378913, 2.07684797867783, 3.20542900285647, 4.51274586339978};
    private static final double[] WEIGHTS = {2.23458440077466e-05, 0.00278914132123177, 0.0499164067652178, 0.24409750289494,
            0.406349206349206, 0.24409750289494, 0.0499164067652178, 0.00278914132123177, 2.23458440077466e-05};

    private final List<Objective> objectives;
    private final double[] reference;
    private final List<Constraint> constraints;
    private final double baselineAccuracy;
    private final double exploration;
    private final List<double[]> front; // normalised, non-dominated, feasible
    private final Objective quality;    // the quality objective (accuracy, agreement, ...), modelled on its 0-to-1 scale (Objective#toUnit)
    private final int accuracy;        // index of the quality objective, -1 if it is not one
    private final String[] keys;       // the objectives' value keys

    private HypervolumeGain(List<Objective> objectives, double[] reference, List<Constraint> constraints, double baselineAccuracy,
                            double exploration, List<double[]> front) {
        this.objectives = objectives;
        this.reference = reference;
        this.constraints = constraints;
        this.baselineAccuracy = baselineAccuracy;
        this.exploration = exploration;
        this.front = front;
        this.quality = Objective.qualityOf(objectives);
        this.accuracy = objectives.indexOf(quality);
        this.keys = objectives.stream().map(Objective::key).toArray(String[]::new);
    }

    /**
     * @param front       objective values of the trials on the feasible front
     * @param exploration how far to widen each prediction's spread (1 = as the model says)
     */
    static HypervolumeGain of(List<Objective> objectives, double[] reference, List<Constraint> constraints, double baselineAccuracy,
                              double exploration, List<Map<String, Double>> front) {
        var g = new HypervolumeGain(List.copyOf(objectives), reference.clone(), List.copyOf(constraints), baselineAccuracy, exploration, List.of());
        var points = new ArrayList<double[]>();
        for (Map<String, Double> v : front) points.add(g.normalised(v));
        return new HypervolumeGain(g.objectives, g.reference, g.constraints, baselineAccuracy, exploration, nonDominated(points));
    }

    /**
     * A candidate's rank key, larger first: cost-feasible before infeasible (then less violation first), then expected
     * hypervolume gain, then {@code reach}, how many (widened) standard deviations its predicted accuracy lies above
     * what it needs to add anything (negative: below), which orders the plans whose gain rounds to nothing.
     */
    record Score(double costViolation, double expectedGain, double reach) implements Comparable<Score> {
        @Override
        public int compareTo(Score o) {
            int c = Double.compare(o.costViolation, costViolation);
            if (c != 0) return c;
            c = Double.compare(expectedGain, o.expectedGain);
            return c != 0 ? c : Double.compare(reach, o.reach);
        }
    }

    /** One pick of {@link #chooseGreedily}: the item and its score against the front when it was chosen. */
    record Choice<T>(T item, Score score) {
        /** Whether, when chosen, it could add nothing to the front (and so neither could anything left). */
        boolean addsNothing() {
            return score.expectedGain() <= 0 && score.reach() == Double.NEGATIVE_INFINITY;
        }
    }

    /** The picks of {@link #chooseGreedily}, in order, and the front with each joined at its predicted quality. */
    record Choices<T>(List<Choice<T>> chosen, HypervolumeGain front) {}

    /**
     * Chooses up to {@code n} items, best score first, each joining the front at its predicted quality before the next
     * is scored (so a batch spreads along the front instead of crowding one corner); ties go to the earlier item. Lazy
     * greedy: a score can only shrink as the front grows, so an item whose fresh score still leads the stale ones is
     * the best, and most items are scored once.
     */
    <T> Choices<T> chooseGreedily(List<T> items, java.util.function.Function<T, Map<String, Double>> costs,
                                  java.util.function.Function<T, AccuracySurrogate.Prediction> predictions, int n) {
        final class Entry {
            final int order;
            final T item;
            final Map<String, Double> cost;
            final AccuracySurrogate.Prediction prediction;
            Score score;
            HypervolumeGain scoredAgainst;

            Entry(int order, T item) {
                this.order = order;
                this.item = item;
                this.cost = costs.apply(item);
                this.prediction = predictions.apply(item);
            }

            void score(HypervolumeGain against) {
                score = against.score(cost, prediction);
                scoredAgainst = against;
            }
        }
        var queue = new java.util.PriorityQueue<Entry>((a, b) -> {
            int c = b.score.compareTo(a.score);
            return c != 0 ? c : Integer.compare(a.order, b.order);
        });
        for (int i = 0; i < items.size(); i++) {
            var e = new Entry(i, items.get(i));
            e.score(this);
            queue.add(e);
        }
        HypervolumeGain gain = this;
        var chosen = new ArrayList<Choice<T>>();
        while (chosen.size() < n && !queue.isEmpty()) {
            Entry e = queue.poll();
            if (e.scoredAgainst != gain) {
                e.score(gain);
                queue.add(e);
                continue;
            }
            chosen.add(new Choice<>(e.item, e.score));
            var believed = new java.util.LinkedHashMap<>(e.cost);
            believed.put(quality.key(), quality.fromUnit(e.prediction.accuracy()));
            gain = gain.with(believed);
        }
        return new Choices<>(List.copyOf(chosen), gain);
    }

    Score score(Map<String, Double> costs, AccuracySurrogate.Prediction p) {
        var values = new HashMap<>(costs);
        values.put(quality.key(), quality.fromUnit(1.0)); // the best quality can be: what is left violated is cost alone
        double costViolation = violation(values);
        if (costViolation > 0) return new Score(costViolation, 0, Double.NEGATIVE_INFINITY);
        double sd = p.sd() * exploration;
        double needed = neededUnit(values);
        double reach = Double.isNaN(needed) ? Double.NEGATIVE_INFINITY : (p.mean() - AccuracySurrogate.logit(needed)) / sd;
        if (accuracy >= 0 && reach < NODES[0]) return new Score(0, 0, reach); // no node reaches the front: nothing to integrate
        double gain = 0;
        for (int j = 0; j < NODES.length; j++) {
            if (accuracy >= 0 && NODES[j] < -reach) continue; // below what it needs: adds nothing
            values.put(quality.key(), quality.fromUnit(1 / (1 + Math.exp(-(p.mean() + NODES[j] * sd)))));
            if (violation(values) > 0) continue;
            gain += WEIGHTS[j] * contribution(normalised(values));
        }
        return new Score(0, gain, reach);
    }

    /** The front with a plan added at these values (a measured trial, or a plan chosen at its predicted accuracy). */
    HypervolumeGain with(Map<String, Double> values) {
        if (violation(values) > 0) return this;
        var points = new ArrayList<>(front);
        points.add(normalised(values));
        return new HypervolumeGain(objectives, reference, constraints, baselineAccuracy, exploration, nonDominated(points));
    }

    /**
     * The quality, on its 0-to-1 scale, above which a plan with these costs would add to the front: above every front
     * point that costs no more in any objective, above the reference point and the drop limit. NaN when its costs alone
     * leave it outside the reference box.
     */
    private double neededUnit(Map<String, Double> costs) {
        double[] p = normalised(costs);
        for (int i = 0; i < p.length; i++) if (i != accuracy && p[i] >= 1) return Double.NaN;
        if (accuracy < 0) return 0;
        double bound = 1; // in the normalised accuracy coordinate, lower is better
        for (double[] f : front) {
            boolean cheaper = true;
            for (int i = 0; i < p.length && cheaper; i++) if (i != accuracy && f[i] > p[i]) cheaper = false;
            if (cheaper) bound = Math.min(bound, f[accuracy]);
        }
        double scale = Math.max(Math.abs(reference[accuracy]), 1e-12); // Hypervolume.normalise, inverted
        double needed = quality.toUnit(quality.maximize() ? reference[accuracy] + (1 - bound) * scale : bound * scale);
        for (Constraint c : constraints) {
            if (c.limitsDropOf() == quality) needed = Math.max(needed, quality.toUnit(quality.behind(baselineAccuracy, c.limit())));
        }
        return needed;
    }

    /** The hypervolume a point adds to the front: its box up to the reference minus the part the front already covers. */
    private double contribution(double[] p) {
        double box = 1;
        for (double v : p) {
            if (v >= 1) return 0;
            box *= 1 - v;
        }
        var limited = new ArrayList<double[]>(front.size());
        for (double[] f : front) {
            double[] q = new double[p.length];
            boolean covers = true;
            for (int i = 0; i < p.length; i++) {
                q[i] = Math.max(p[i], f[i]);
                covers &= f[i] <= p[i];
            }
            if (covers) return 0;
            limited.add(q);
        }
        return box - Hypervolume.of(nonDominated(limited), Hypervolume.unitReference(p.length));
    }

    private double[] normalised(Map<String, Double> values) {
        double[] v = new double[objectives.size()];
        for (int i = 0; i < v.length; i++) v[i] = values.getOrDefault(keys[i], Double.NaN);
        return Hypervolume.normalise(v, objectives, reference);
    }

    private double violation(Map<String, Double> values) {
        double v = 0;
        for (Constraint c : constraints) v += c.violation(values, baselineAccuracy);
        return v;
    }

    /** The points no other point weakly dominates (of equal points, the first). */
    private static List<double[]> nonDominated(List<double[]> points) {
        var out = new ArrayList<double[]>();
        for (int a = 0; a < points.size(); a++) {
            boolean dominated = false;
            for (int b = 0; b < points.size() && !dominated; b++) {
                if (a == b) continue;
                double[] x = points.get(a), y = points.get(b);
                boolean le = true, lt = false;
                for (int i = 0; i < x.length; i++) {
                    le &= y[i] <= x[i];
                    lt |= y[i] < x[i];
                }
                dominated = le && (lt || b < a);
            }
            if (!dominated) out.add(points.get(a));
        }
        return out;
    }
}
