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
import dev.squeeze.model.LayerNode;
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
 * Varied plans are compressed, exported as ONNX and timed in ONNX Runtime at batch 1, for every model asked for
 * (by default every shipped model): each prunes its groups at random and stores its weighted layers in the formats
 * the export emits (fp32; int8, which runs as integer kernels; 4-bit weights, which run as MatMulNBits for dense
 * layers and as int8 kernels for convolutions), the whole network in one format or every layer its own ("mixed").
 * Predicted and measured medians are compared by Spearman's rho, per model and over all plans pooled, and by the
 * mean absolute percentage error left after one scale factor (the geometric mean of measured / predicted), which
 * should be the same for every format: a format whose scale stands apart runs at another speed than the profile says.
 */
public final class ProfileValidation {
    private ProfileValidation() {}

    /** @param models model zips or built-in names; validated one after another, pooled in the result */
    public record Request(String device, List<String> models, int plans, int threads, int repeats, long seed, Path dataDir) {
        public Request {
            models = List.copyOf(models);
            if (models.isEmpty()) throw new SqueezeException("profiles validate: give at least one --model");
            if (plans < 3) throw new SqueezeException("profiles validate: --plans must be >= 3, got " + plans);
        }
    }

    /** One plan's timing: which model, its description, its format (fp32, int8, int4 or mixed). */
    public record PlanTiming(String model, String plan, String format, double predictedMs, double measuredMs, long macs) {}

    /** One model's agreement: Spearman's rho over its plans, its scale and the error left after it. */
    public record ModelResult(String model, int plans, double spearman, double scale, double mape) {}

    /**
     * @param spearman      rho over every plan of every model
     * @param scale         one factor for all plans; {@code mape} is the error left after it
     * @param scaleByFormat per format, the geometric mean of measured over predicted time over all models: far apart,
     *                      the formats' relative speed differs from the profile's and plans of different formats misrank
     */
    public record Result(String device, int threads, List<PlanTiming> plans, List<ModelResult> models, double spearman, double scale,
                         double mape, Map<String, Double> scaleByFormat) {
        /** Formats whose scales differ by more than this are reported: a stable machine gave 0.97, one that drifted 1.20. */
        public static final double DRIFT = 1.15;

        /** A one-line warning when the formats' scales are far apart, else null. */
        public String drift() {
            double lo = scaleByFormat.values().stream().mapToDouble(Double::doubleValue).min().orElse(1);
            double hi = scaleByFormat.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
            if (hi / lo <= DRIFT) return null;
            var each = new StringBuilder();
            new java.util.TreeMap<>(scaleByFormat).forEach((f, v) -> each.append(each.length() == 0 ? "" : " and ").append(String.format("%s plans %.2fx", f, v)));
            return "warning: " + each + " their predicted time: the formats' relative speed here is not the profile's "
                    + "(on a shared machine it drifts; run `squeeze profiles calibrate` again just before validating)";
        }
    }

    /** A weighted layer's storage in a validation plan, as weight and activation bits. */
    enum WeightFormat {
        FP32(32, 32), INT8(8, 8), INT4(4, 8);

        final int weightBits, actBits;

        WeightFormat(int weightBits, int actBits) {
            this.weightBits = weightBits;
            this.actBits = actBits;
        }

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Timing rounds over all plans of a model. */
    static final int ROUNDS = 20;

    public static Result run(Request r, Progress progress) {
        var profile = Profiles.load(r.device());
        var splits = DataSplits.load(r.dataDir(), 42, 500);
        var timings = new ArrayList<PlanTiming>();
        var models = new ArrayList<ModelResult>();
        for (String name : r.models()) {
            List<PlanTiming> own = time(ModelStore.load(name), profile, splits, r, progress);
            timings.addAll(own);
            models.add(agreement(own.get(0).model(), own));
        }
        ModelResult pooled = agreement("all", timings);
        var scaleByFormat = new java.util.TreeMap<String, Double>();
        timings.stream().collect(java.util.stream.Collectors.groupingBy(PlanTiming::format))
                .forEach((f, ts) -> scaleByFormat.put(f, scale(ts)));
        return new Result(r.device(), r.threads(), timings, models, pooled.spearman(), pooled.scale(), pooled.mape(), scaleByFormat);
    }

    /** One model's plans, compressed and written as export writes them, timed in interleaved rounds. */
    private static List<PlanTiming> time(ModelHandle m, HardwareProfile profile, DataSplits splits, Request r, Progress progress) {
        m.checkReads(splits);
        CostModel costs = CostModel.of(m.graph(), profile);
        var compressor = new Compressor(m, Compressor.Options.DEFAULT, splits.calibration());
        INDArray one = m.encoding().features(splits.test(), 0, 1);
        var inputType = Dl4jGraphs.toInputType(m.graph().inputs().values().iterator().next());
        List<Drawn> plans = plans(m, r.plans(), r.seed(), profile.pruningAlign());
        var runners = new ArrayList<OnnxRunner>();
        var macs = new long[plans.size()];
        var timings = new ArrayList<PlanTiming>();
        try {
            for (int i = 0; i < plans.size(); i++) {
                progress.update(String.format("%s: plan %d/%d: compress and export", m.name(), i + 1, plans.size()));
                CompressedModel c = compressor.apply(plans.get(i).plan());
                macs[i] = c.graph().macs();
                runners.add(OnnxRunner.of(OnnxWriter.write(c, inputType), r.threads()));
            }
            progress.update(String.format("%s: timing %d plans in %d interleaved rounds", m.name(), plans.size(), ROUNDS));
            double[] measured = LatencyTiming.ofTotal(ROUNDS, 10, r.repeats()).medianMillis(runners, one);
            for (int i = 0; i < plans.size(); i++) {
                Drawn d = plans.get(i);
                timings.add(new PlanTiming(m.name(), describe(d, m), d.format(),
                        costs.objectives(d.plan(), 1).get(Objective.LATENCY_MS.key()), measured[i], macs[i]));
            }
        } finally {
            runners.forEach(OnnxRunner::close);
        }
        return timings;
    }

    private static ModelResult agreement(String model, List<PlanTiming> timings) {
        double[] p = timings.stream().mapToDouble(PlanTiming::predictedMs).toArray();
        double[] q = timings.stream().mapToDouble(PlanTiming::measuredMs).toArray();
        double scale = scale(timings);
        double mape = 0;
        for (int i = 0; i < p.length; i++) mape += Math.abs(scale * p[i] - q[i]) / q[i];
        return new ModelResult(model, p.length, new SpearmansCorrelation().correlation(p, q), scale, mape / p.length);
    }

    /** A drawn plan and its format label. */
    record Drawn(CompressionPlan plan, String format) {}

    /**
     * Seeded, varied plans: the uncompressed model and uniform int8 first, then every group's prune ratio drawn from
     * 0..0.875 and the weighted layers stored in one format for the whole network (fp32, int8 or int4, a quarter of
     * the plans each) or each layer in a format of its own (the other quarter). Kept units round up to {@code align},
     * as a space with {@code align_to_device} (the shipped spaces) makes them: these are the plans the search compares.
     */
    static List<Drawn> plans(ModelHandle m, int n, long seed, int align) {
        var random = new Random(seed);
        double[] ratios = {0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875};
        WeightFormat[] formats = WeightFormat.values();
        List<String> weighted = m.graph().nodes().stream().filter(ProfileValidation::quantizable).map(LayerNode::name).toList();
        var out = new ArrayList<Drawn>();
        out.add(new Drawn(CompressionPlan.none(), WeightFormat.FP32.label()));
        out.add(new Drawn(CompressionPlan.uniform("w8a8"), WeightFormat.INT8.label()));
        while (out.size() < n) {
            int kind = random.nextInt(formats.length + 1); // one format for all, or (== length) mixed per layer
            var layers = new HashMap<String, LayerPlan>();
            for (String layer : weighted) {
                WeightFormat f = kind < formats.length ? formats[kind] : formats[random.nextInt(formats.length)];
                layers.put(layer, new LayerPlan(0, f.weightBits, f.actBits));
            }
            for (DependencyGroup g : m.graph().groups()) {
                double ratio = CompressionPlan.alignedRatio(g.units(), ratios[random.nextInt(ratios.length)], align);
                LayerPlan bits = layers.getOrDefault(g.id(), CompressionPlan.NONE);
                layers.put(g.id(), new LayerPlan(ratio, bits.weightBits(), bits.actBits()));
            }
            var plan = new CompressionPlan(CompressionPlan.NONE, layers, CompressionPlan.Distillation.DEFAULT);
            try {
                out.add(new Drawn(plan.validate(m.graph(), "validation plan"), kind < formats.length ? formats[kind].label() : "mixed"));
            } catch (SqueezeException e) {
                // a draw that removes a whole group: draw again
            }
        }
        return out;
    }

    /** Layers whose weights a plan's bits store: convolutions, dense layers and attention (not norms or tables). */
    private static boolean quantizable(LayerNode n) {
        return n.params() > 0 && List.of("conv2d", "depthwise", "dense", "attention").contains(n.type());
    }

    /** The geometric mean of measured over predicted time: the one factor that best scales predictions to measurements. */
    private static double scale(List<PlanTiming> timings) {
        double logSum = 0;
        for (PlanTiming t : timings) logSum += Math.log(t.measuredMs() / t.predictedMs());
        return Math.exp(logSum / timings.size());
    }

    private static String describe(Drawn d, ModelHandle m) {
        var sb = new StringBuilder(d.format());
        for (DependencyGroup g : m.graph().groups()) sb.append(' ').append(g.id()).append('=').append(d.plan().forLayer(g.id()).pruneRatio());
        return sb.toString();
    }
}
