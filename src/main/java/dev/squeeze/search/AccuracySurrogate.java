package dev.squeeze.search;

import dev.squeeze.spaces.Knob;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;

import java.util.Comparator;
import java.util.List;

/**
 * What the search has learnt about measured accuracy: a Gaussian-process regression (kernel ridge regression with
 * its own error bars) of {@code logit(accuracy)} on the plan's knob settings, fitted to every measured trial.
 *
 * <ul>
 *   <li>Knob settings enter as ordinal positions: a knob's values sorted, its value's rank scaled to [0, 1], so
 *   "prune more" and "fewer bits" are directions, not categories.</li>
 *   <li>The kernel is {@code exp(-theta * sum_i |u_i - v_i|)}, a product of per-knob factors: every knob's own effect
 *   and all their interactions, interactions of more knobs weighted less, plus a linear term in the sensitivity
 *   table's prediction (when there is one), whose weight is fitted like the rest: the prior is where the model starts,
 *   and measured trials decide how far to trust it.</li>
 *   <li>Accuracy is modelled on the logit scale: compressions compound (two settings that each cost a few points
 *   together cost more than their sum, and accuracy cannot fall below zero).</li>
 *   <li>{@code theta} and the noise level are chosen by marginal likelihood from a small grid on every fit.</li>
 * </ul>
 * A prediction is a normal distribution on the logit scale: the fitted mean and the posterior spread plus measurement
 * noise, so it says how surprised the model would be by a measurement. Immutable once fitted.
 */
final class AccuracySurrogate {
    private static final double[] THETAS = {0.05, 0.1, 0.25, 0.5, 1, 2};
    private static final double[] NOISES = {0.003, 0.01, 0.03, 0.1};
    /** The prior-only model's spread on the logit scale, before any trial was measured. */
    private static final double PRIOR_SD = 1.0;

    /** One plan as the model sees it: knob positions in [0, 1] and the prior's accuracy (NaN when there is no prior). */
    record Point(double[] position, double prior) {}

    /** A predicted measurement: normal on the logit scale. */
    record Prediction(double mean, double sd) {
        /** The accuracy {@code z} standard deviations from the mean. */
        double accuracy(double z) {
            return 1 / (1 + Math.exp(-(mean + z * sd)));
        }

        double accuracy() {
            return accuracy(0);
        }
    }

    private final List<Point> train;
    private final double[] alpha;
    private final double[][] chol;
    private final double mean, signal, theta, noise, priorWeight, priorMean, priorScale;
    private final Double heldOutTau;

    private AccuracySurrogate(List<Point> train, double[] alpha, double[][] chol, double mean, double signal, double theta,
                              double noise, double priorWeight, double priorMean, double priorScale, Double heldOutTau) {
        this.train = train;
        this.alpha = alpha;
        this.chol = chol;
        this.mean = mean;
        this.signal = signal;
        this.theta = theta;
        this.noise = noise;
        this.priorWeight = priorWeight;
        this.priorMean = priorMean;
        this.priorScale = priorScale;
        this.heldOutTau = heldOutTau;
    }

    /** Knob positions for value indices: each value's rank among its knob's sorted values, scaled to [0, 1]. */
    static double[][] positions(List<Knob> knobs) {
        double[][] pos = new double[knobs.size()][];
        for (int k = 0; k < pos.length; k++) {
            List<Double> values = knobs.get(k).values();
            Integer[] order = new Integer[values.size()];
            for (int i = 0; i < order.length; i++) order[i] = i;
            java.util.Arrays.sort(order, Comparator.comparingDouble(values::get));
            pos[k] = new double[values.size()];
            for (int r = 0; r < order.length; r++) pos[k][order[r]] = order.length == 1 ? 0 : r / (double) (order.length - 1);
        }
        return pos;
    }

    /**
     * Fits the model to measured accuracies. With fewer than three trials it is the prior alone (or a flat guess
     * without one), with a wide spread.
     */
    static AccuracySurrogate fit(List<Point> points, double[] accuracy) {
        boolean hasPrior = !points.isEmpty() && points.stream().noneMatch(p -> Double.isNaN(p.prior()));
        int n = points.size();
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = logit(accuracy[i]);
        if (n < 3) { // the prior shifted by how far the trials so far fell from it (or a flat guess without one)
            double m = n == 0 ? 0 : java.util.Arrays.stream(y).average().orElse(0);
            double shift = 0;
            if (hasPrior) for (int i = 0; i < n; i++) shift += (y[i] - logit(points.get(i).prior())) / n;
            return new AccuracySurrogate(List.of(), new double[0], new double[0][0], m, PRIOR_SD * PRIOR_SD, 1, 0, 0, shift, 1, null);
        }
        double m = java.util.Arrays.stream(y).average().orElse(0);
        double var = java.util.Arrays.stream(y).map(v -> (v - m) * (v - m)).sum() / n;
        double signal = Math.max(var, 1e-4);
        double pm = 0, ps = 1;
        if (hasPrior) {
            double[] z = points.stream().mapToDouble(p -> logit(p.prior())).toArray();
            pm = java.util.Arrays.stream(z).average().orElse(0);
            double mu = pm;
            ps = Math.sqrt(java.util.Arrays.stream(z).map(v -> (v - mu) * (v - mu)).sum() / n);
            if (ps < 1e-9) ps = 1;
        }
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = y[i] - m;
        // one coordinate at a time (length scale at a middling noise, then the noise): 9 fits where the full grid takes 24
        Fit best = null;
        for (double theta : THETAS) best = better(best, points, r, m, signal, theta, NOISES[1], hasPrior, pm, ps);
        double theta = best == null ? THETAS[0] : best.theta;
        for (double noise : NOISES) if (noise != NOISES[1] || best == null) best = better(best, points, r, m, signal, theta, noise, hasPrior, pm, ps);
        if (best == null) throw new IllegalStateException("no kernel fitted " + n + " trials"); // the largest noise keeps K positive definite
        double[] looMean = leaveOneOut(best, r, m);
        Double tau = n < 5 ? null : kendall(looMean, y);
        return new AccuracySurrogate(List.copyOf(points), best.alpha, best.chol, m, signal, best.theta, best.noise,
                hasPrior ? 1 : 0, pm, ps, tau);
    }

    private static Fit better(Fit best, List<Point> points, double[] r, double m, double signal, double theta, double noise,
                              boolean hasPrior, double pm, double ps) {
        Fit f = new AccuracySurrogate(points, null, null, m, signal, theta, noise, hasPrior ? 1 : 0, pm, ps, null).solve(r);
        return f != null && (best == null || f.logLikelihood > best.logLikelihood) ? f : best;
    }

    private record Fit(double theta, double noise, double[][] chol, double[] alpha, double logLikelihood) {}

    private Fit solve(double[] r) {
        int n = train.size();
        double[][] k = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) k[i][j] = k[j][i] = kernel(train.get(i), train.get(j));
            k[i][i] += noise * signal;
        }
        double[][] l = cholesky(k);
        if (l == null) return null;
        double[] alpha = backward(l, forward(l, r));
        double ll = 0;
        for (int i = 0; i < n; i++) ll += -0.5 * r[i] * alpha[i] - Math.log(l[i][i]);
        return new Fit(theta, noise, l, alpha, ll);
    }

    /** Closed-form leave-one-out means: {@code y_i - alpha_i / (K^-1)_ii}, with {@code (K^-1)_ii} the squared column norms of {@code L^-1}. */
    private static double[] leaveOneOut(Fit f, double[] r, double m) {
        int n = r.length;
        double[][] l = f.chol;
        double[][] inv = new double[n][]; // inv[j] = column j of L^-1, zero above the diagonal
        double[] kinvDiag = new double[n];
        for (int j = 0; j < n; j++) {
            double[] c = new double[n];
            c[j] = 1 / l[j][j];
            for (int i = j + 1; i < n; i++) {
                double s = 0;
                for (int k = j; k < i; k++) s -= l[i][k] * c[k];
                c[i] = s / l[i][i];
            }
            inv[j] = c;
        }
        // (K^-1)_jj = sum_i (L^-1)_ij^2: column j of L^-1
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = j; i < n; i++) s += inv[j][i] * inv[j][i];
            kinvDiag[j] = s;
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = m + r[i] - f.alpha[i] / kinvDiag[i];
        return out;
    }

    Prediction predict(Point p) {
        if (train.isEmpty()) return new Prediction(Double.isNaN(p.prior()) ? mean : logit(p.prior()) + priorMean, Math.sqrt(signal));
        double priorTerm = priorWeight == 0 ? 0 : priorWeight * square((logit(p.prior()) - priorMean) / priorScale);
        int n = train.size();
        double[] k = new double[n];
        for (int i = 0; i < n; i++) k[i] = kernel(p, train.get(i));
        double mu = mean;
        for (int i = 0; i < n; i++) mu += k[i] * alpha[i];
        double[] v = forward(chol, k);
        double latent = signal * (1 + priorTerm);
        for (double x : v) latent -= x * x;
        return new Prediction(mu, Math.sqrt(Math.max(latent, 0) + noise * signal));
    }

    /** Kendall tau of the leave-one-out predictions against the measured accuracies; null with fewer than five trials. */
    Double heldOutTau() {
        return heldOutTau;
    }

    int trials() {
        return train.size();
    }

    private double kernel(Point a, Point b) {
        double d = 0;
        for (int i = 0; i < a.position().length; i++) d += Math.abs(a.position()[i] - b.position()[i]);
        double k = Math.exp(-theta * d);
        if (priorWeight > 0) k += priorWeight * ((logit(a.prior()) - priorMean) / priorScale) * ((logit(b.prior()) - priorMean) / priorScale);
        return signal * k;
    }

    static double logit(double accuracy) {
        double a = Math.min(1 - 1e-3, Math.max(1e-3, accuracy));
        return Math.log(a / (1 - a));
    }

    /** Kendall's tau-b, or null when either side is constant. */
    static Double kendall(double[] x, double[] y) {
        if (x.length < 2) return null;
        double t = new KendallsCorrelation().correlation(x, y);
        return Double.isNaN(t) ? null : t;
    }

    private static double square(double v) {
        return v * v;
    }

    /** Lower Cholesky factor, or null when the matrix is not positive definite. */
    private static double[][] cholesky(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                double[] li = l[i], lj = l[j];
                for (int k = 0; k < j; k++) s -= li[k] * lj[k];
                if (i == j) {
                    if (s <= 0) return null;
                    li[i] = Math.sqrt(s);
                } else {
                    li[j] = s / lj[j];
                }
            }
        }
        return l;
    }

    private static double[] forward(double[][] l, double[] b) {
        int n = b.length;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i][k] * x[k];
            x[i] = s / l[i][i];
        }
        return x;
    }

    private static double[] backward(double[][] l, double[] b) {
        int n = b.length;
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = b[i];
            for (int k = i + 1; k < n; k++) s -= l[k][i] * x[k];
            x[i] = s / l[i][i];
        }
        return x;
    }
}
