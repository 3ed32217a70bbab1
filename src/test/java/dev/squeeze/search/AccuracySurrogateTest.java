package dev.squeeze.search;

import dev.squeeze.spaces.Knob;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The accuracy model on a known function of four 4-valued knobs whose effects compound (an interaction between the
 * first two), as compression does: it must rank plans it has not seen, know where it has not looked, and start from
 * a prior.
 */
class AccuracySurrogateTest {
    static final int KNOBS = 4, VALUES = 4;

    /** Accuracy of a plan: a logit that falls with each knob's level, faster when knobs 0 and 1 are both high. */
    static double truth(int[] x) {
        double z = 3.2 - 0.9 * x[0] - 0.3 * x[1] - 0.6 * x[2] * x[2] / 3.0 - 0.1 * x[3] - 0.35 * x[0] * x[1];
        return 1 / (1 + Math.exp(-z));
    }

    static AccuracySurrogate.Point point(int[] x, boolean prior) {
        double[] pos = new double[KNOBS];
        for (int i = 0; i < KNOBS; i++) pos[i] = x[i] / (VALUES - 1.0);
        // the prior: each knob's effect alone, added (what the sensitivity table does), so it misses the interaction
        double z = 3.2 - 0.9 * x[0] - 0.3 * x[1] - 0.6 * x[2] * x[2] / 3.0 - 0.1 * x[3];
        return new AccuracySurrogate.Point(pos, prior ? 1 / (1 + Math.exp(-z)) : Double.NaN);
    }

    static List<int[]> random(int n, long seed) {
        var r = new Random(seed);
        var out = new ArrayList<int[]>();
        for (int i = 0; i < n; i++) {
            int[] x = new int[KNOBS];
            for (int k = 0; k < KNOBS; k++) x[k] = r.nextInt(VALUES);
            out.add(x);
        }
        return out;
    }

    static AccuracySurrogate fit(List<int[]> xs, boolean prior) {
        var noise = new Random(9);
        return AccuracySurrogate.fit(xs.stream().map(x -> point(x, prior)).toList(),
                xs.stream().mapToDouble(x -> truth(x) + 0.005 * noise.nextGaussian()).toArray());
    }

    static double tau(AccuracySurrogate m, List<int[]> test, boolean prior) {
        return AccuracySurrogate.kendall(test.stream().mapToDouble(x -> m.predict(point(x, prior)).accuracy()).toArray(),
                test.stream().mapToDouble(AccuracySurrogateTest::truth).toArray());
    }

    @Test
    void ranksUnseenPlansAndItsHeldOutAgreementSaysSo() {
        AccuracySurrogate m = fit(random(60, 1), false);
        assertEquals(60, m.trials());
        double unseen = tau(m, random(200, 2), false);
        assertTrue(unseen > 0.85, "Kendall tau on unseen plans: " + unseen);
        assertTrue(m.heldOutTau() > 0.8, "leave-one-out tau: " + m.heldOutTau());
        assertTrue(Math.abs(m.heldOutTau() - unseen) < 0.1, "held-out " + m.heldOutTau() + " estimates unseen " + unseen);
    }

    @Test
    void isSureWhereItMeasuredAndUnsureWhereItDidNot() {
        var xs = new ArrayList<int[]>();
        for (int[] x : random(200, 3)) if (x[0] < 2) xs.add(x); // never looked at knob 0's two highest values
        AccuracySurrogate m = fit(xs, false);
        double seen = m.predict(point(new int[]{0, 1, 1, 1}, false)).sd();
        double unseen = m.predict(point(new int[]{3, 3, 1, 1}, false)).sd();
        assertTrue(unseen > 2 * seen, "spread where it looked " + seen + ", where it did not " + unseen);
    }

    @Test
    void theSensitivityPriorCarriesItBeforeTrialsDoAndTrialsCorrectIt() {
        List<int[]> test = random(200, 4);
        AccuracySurrogate none = AccuracySurrogate.fit(List.of(), new double[0]);
        assertNull(none.heldOutTau());
        var priorOnly = none.predict(point(new int[]{1, 2, 0, 3}, true));
        assertEquals(point(new int[]{1, 2, 0, 3}, true).prior(), priorOnly.accuracy(), 1e-9, "no trials: the prior itself");

        List<int[]> few = random(8, 5);
        double withPrior = tau(fit(few, true), test, true), without = tau(fit(few, false), test, false);
        assertTrue(withPrior > without + 0.05, "8 trials: with the prior " + withPrior + ", without " + without);
        // the prior misses the interaction; enough trials learn it
        List<int[]> many = random(120, 6);
        assertTrue(tau(fit(many, true), test, true) > withPrior, "120 trials improve on 8");
    }

    @Test
    void knobValuesAreOrderedByValueWhateverOrderTheSpaceListsThem() {
        double[][] pos = AccuracySurrogate.positions(List.of(new Knob("conv1", Knob.Kind.WEIGHT_BITS, List.of(32.0, 2.0, 8.0)),
                new Knob("conv1", Knob.Kind.PRUNE_RATIO, List.of(0.0, 0.5))));
        assertArrayEquals(new double[]{1, 0, 0.5}, pos[0]);
        assertArrayEquals(new double[]{0, 1}, pos[1]);
    }
}
