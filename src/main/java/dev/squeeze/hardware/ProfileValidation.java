package dev.squeeze.hardware;

import dev.squeeze.onnx.OnnxWriter;
import dev.squeeze.onnx.OnnxRunner;
import dev.squeeze.onnx.LatencyTiming;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.DataSplits;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.CompressionPlan.LayerPlan;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.results.Objective;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code squeeze profiles validate}: does a profile's latency model rank plans the way this machine runs them?
 * Varied plans (pruning and bits) are compressed, exported as ONNX and timed in ONNX Runtime at batch 1; the
 * predicted and measured medians are compared by Spearman's rho and by the mean absolute percentage error left
 * after one scale factor (the geometric mean of measured / predicted).
 */
public final class ProfileValidation {
    private ProfileValidation() {}

    public record Request(String device, String model, int plans, int threads, int repeats, long seed, Path dataDir) {}

    public record PlanTiming(String plan, String format, double predictedMs, double measuredMs, long macs) {}

    /**
     * @param scaleByFormat per weight format, the geometric mean of measured over predicted time: far apart, the
     *                      formats' relative speed differs from the calibration's and plans of different formats misrank
     */
    public record Result(String device, String model, int threads, List<PlanTiming> plans, double spearman, double scale, double mape,
                         Map<String, Double> scaleByFormat) {
        /** Formats whose scales differ by more than this are reported: a stable machine gave 0.97, one that drifted 1.20. */
        public static final double DRIFT = 1.15;

        /** A one-line warning when the formats' scales are far apart, else null. */
        public String drift() {
            double lo = scaleByFormat.values().stream().mapToDouble(Double::doubleValue).min().orElse(1);
            double hi = scaleByFormat.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
            if (hi / lo <= DRIFT) return null;
            var each = new StringBuilder();
            new java.util.TreeMap<>(scaleByFormat).forEach((f, v) -> each.append(each.length() == 0 ? "" : " and ").append(String.format("%s plans %.2fx", f, v)));
            return "warning: " + each + " their predicted time: the formats' relative speed here is not the calibration's "
                    + "(it drifts on shared machines); run `squeeze profiles calibrate` again just before validating";
        }
    }

    /** Timing rounds over all plans. */
    static final int ROUNDS = 20;

    public static Result run(Request r, Progress progress) {
        if (r.plans() < 3) throw new SqueezeException("profiles validate: --plans must be >= 3, got " + r.plans());
        ModelHandle m = ModelStore.load(r.model());
        var profile = Profiles.load(r.device());
        CostModel costs = CostModel.of(m.graph(), profile);
        var splits = DataSplits.load(r.dataDir(), 42, 500);
        m.checkReads(splits);
        var compressor = new Compressor(m, Compressor.Options.DEFAULT, splits.calibration());
        INDArray one = m.encoding().features(splits.test(), 0, 1);
        var inputType = Dl4jGraphs.toInputType(m.graph().inputs().values().iterator().next());
        var timings = new ArrayList<PlanTiming>();
        List<CompressionPlan> plans = plans(m, r.plans(), r.seed(), profile.pruningAlign());
        var runners = new ArrayList<OnnxRunner>();
        var macs = new long[plans.size()];
        try {
            for (int i = 0; i < plans.size(); i++) {
                progress.update(String.format("plan %d/%d: compress and export", i + 1, plans.size()));
                CompressedModel c = compressor.apply(plans.get(i));
                macs[i] = c.graph().macs();
                runners.add(OnnxRunner.of(OnnxWriter.write(c, inputType), r.threads()));
            }
            progress.update(String.format("timing %d plans in %d interleaved rounds", plans.size(), ROUNDS));
            double[] measured = LatencyTiming.ofTotal(ROUNDS, 10, r.repeats()).medianMillis(runners, one);
            for (int i = 0; i < plans.size(); i++) {
                timings.add(new PlanTiming(describe(plans.get(i), m), format(plans.get(i)), costs.objectives(plans.get(i), 1).get(Objective.LATENCY_MS.key()),
                        measured[i], macs[i]));
            }
        } finally {
            runners.forEach(OnnxRunner::close);
        }
        double[] p = timings.stream().mapToDouble(PlanTiming::predictedMs).toArray();
        double[] q = timings.stream().mapToDouble(PlanTiming::measuredMs).toArray();
        double scale = scale(timings);
        double mape = 0;
        for (int i = 0; i < p.length; i++) mape += Math.abs(scale * p[i] - q[i]) / q[i];
        var scaleByFormat = new java.util.TreeMap<String, Double>();
        timings.stream().collect(java.util.stream.Collectors.groupingBy(PlanTiming::format))
                .forEach((f, ts) -> scaleByFormat.put(f, scale(ts)));
        return new Result(r.device(), m.name(), r.threads(), timings, new SpearmansCorrelation().correlation(p, q), scale, mape / p.length,
                scaleByFormat);
    }

    /**
     * Seeded, varied plans: every group's prune ratio drawn from 0..0.875, bits int8 or float, a few uniform ones. Kept
     * units round up to {@code align}, as a space with {@code align_to_device} (the shipped spaces) makes them: these are
     * the plans the search compares.
     */
    static List<CompressionPlan> plans(ModelHandle m, int n, long seed, int align) {
        var random = new Random(seed);
        double[] ratios = {0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875};
        var out = new ArrayList<CompressionPlan>();
        out.add(CompressionPlan.none());
        out.add(CompressionPlan.uniform("w8a8"));
        while (out.size() < n) {
            boolean int8 = random.nextBoolean();
            var layers = new HashMap<String, LayerPlan>();
            for (DependencyGroup g : m.graph().groups()) {
                int bits = int8 ? 8 : 32;
                double ratio = CompressionPlan.alignedRatio(g.units(), ratios[random.nextInt(ratios.length)], align);
                layers.put(g.id(), new LayerPlan(ratio, bits, bits));
            }
            LayerPlan rest = int8 ? new LayerPlan(0, 8, 8) : CompressionPlan.NONE;
            var plan = new CompressionPlan(rest, layers, CompressionPlan.Distillation.DEFAULT);
            try {
                out.add(plan.validate(m.graph(), "validation plan"));
            } catch (SqueezeException e) {
                // a draw that removes a whole group: draw again
            }
        }
        return out;
    }

    /** The geometric mean of measured over predicted time: the one factor that best scales predictions to measurements. */
    private static double scale(List<PlanTiming> timings) {
        double logSum = 0;
        for (PlanTiming t : timings) logSum += Math.log(t.measuredMs() / t.predictedMs());
        return Math.exp(logSum / timings.size());
    }

    private static String format(CompressionPlan plan) {
        return plan.defaults().weightBits() == 8 ? "int8" : "fp32";
    }

    private static String describe(CompressionPlan plan, ModelHandle m) {
        var sb = new StringBuilder(format(plan));
        for (DependencyGroup g : m.graph().groups()) sb.append(' ').append(g.id()).append('=').append(plan.forLayer(g.id()).pruneRatio());
        return sb.toString();
    }
}
