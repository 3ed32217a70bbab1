package dev.squeeze.model.compress;

import dev.squeeze.Json;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.DataSplits;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.Plans;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code squeeze apply}: one plan applied to one model, with figures before and after. */
public final class Applying {
    private Applying() {}

    /**
     * @param model          built-in name or model zip
     * @param plan           plan file, or null with {@code uniform}
     * @param uniform        plan shorthand (w8a8, w4a8p0.5), or null with {@code plan}
     * @param finetuneEpochs epochs of distillation fine-tuning (0 = none)
     * @param learningRate   Adam's first step size (decays linearly to zero)
     * @param batch          images per fine-tuning step
     * @param progressive    prune in this many steps with fine-tuning between (1 = at once)
     * @param out            where to write the compressed DL4J zip (null = nowhere)
     */
    public record Request(String model, Path plan, String uniform, double finetuneEpochs, double learningRate, int batch, int progressive, Path out,
                          Compressor.Options options, boolean quantizationAware, Path dataDir, long seed, String command) {}

    /** The figures {@code apply} prints for a network. */
    public record Figures(long params, long macs, double sizeMb, double accuracy) {}

    public record Result(String model, CompressionPlan plan, Figures before, Figures after, int testImages, Path written,
                         double finetuneSeconds, CompressionProvenance provenance) {}

    public static Result run(Request r, Progress progress) {
        if (r.progressive() < 1) throw new SqueezeException("--progressive must be >= 1, got " + r.progressive());
        if (r.finetuneEpochs() < 0) throw new SqueezeException("--finetune-epochs must be >= 0, got " + r.finetuneEpochs());
        if (r.batch() < 1) throw new SqueezeException("--finetune-batch must be >= 1, got " + r.batch());
        DataSplits splits = DataSplits.load(r.dataDir(), r.seed(), DataSplits.DEFAULT_CALIBRATION);
        ModelHandle m = ModelStore.load(r.model(), () -> splits.test().shape());
        CompressionPlan plan = Plans.resolve(r.plan(), r.uniform(), m.graph());
        m.checkReads(splits);
        var settings = r.finetuneEpochs() > 0
                ? new FineTuner.Settings(r.finetuneEpochs(), r.batch(), r.learningRate(), r.quantizationAware(), 1.0, r.seed()) : null;
        Outcome o = apply(m, plan, splits, r.options(), settings, r.progressive(), progress);
        var provenance = CompressionProvenance.of(m.source(), ModelStore.sha256(r.model()), splits.description(), r.options(), settings, r.command());
        if (r.out() != null) write(o.model(), m, o.after(), splits, r, provenance);
        return new Result(m.name(), plan, o.before(), o.after(), splits.test().count(), r.out(), o.finetuneSeconds(), provenance);
    }

    /** A plan applied to a loaded model, with its figures before and after on the test split. */
    public record Outcome(CompressedModel model, Figures before, Figures after, double finetuneSeconds) {}

    /**
     * Prunes (in {@code progressive} steps), fine-tunes when {@code settings} is not null, quantises, and
     * measures both networks on {@code splits.test()}.
     */
    public static Outcome apply(ModelHandle m, CompressionPlan plan, DataSplits splits, Compressor.Options options,
                                FineTuner.Settings settings, int progressive, Progress progress) {
        progress.update("measuring the uncompressed model on " + splits.test().count() + " test images");
        double baseline = Accuracy.of(m.network(), splits.test(), m.encoding());
        Figures before = new Figures(m.graph().params(), m.graph().macs(),
                CompressedModel.uncompressed(m.network(), m.graph()).sizeMb(), baseline);
        progress.update("ranking units (" + options.importance().label() + ")");
        var compressor = new Compressor(m, options, splits.calibration());
        long start = System.nanoTime();
        var pruned = compressor.pruneAndFineTune(plan, progressive, splits.train(), settings, progress);
        double tuneSeconds = settings == null ? 0 : (System.nanoTime() - start) / 1e9;
        CompressedModel c = compressor.quantize(pruned, plan);
        progress.update("measuring the compressed model on " + splits.test().count() + " test images");
        Figures after = new Figures(c.graph().params(), c.graph().macs(), c.sizeMb(), c.accuracy(splits.test(), m.encoding()));
        return new Outcome(c, before, after, tuneSeconds);
    }

    /**
     * The compressed network (quantised weights) as a DL4J zip with its card, and beside it
     * {@code <name>.compression.json}: the plan, kept units, weight scales and activation scales and zero points.
     */
    private static void write(CompressedModel c, ModelHandle m, Figures after, DataSplits splits, Request r, CompressionProvenance provenance) {
        var card = c.card(m, m.name() + "-compressed", after.accuracy(), splits.test().count(), splits.description(), r.seed(), 64, r.command());
        ModelStore.save(c.network(), card, r.out());
        var doc = new LinkedHashMap<String, Object>();
        doc.put("plan", c.plan());
        doc.put("kept_units", c.pruning().kept());
        doc.put("weight_quantization", c.weights());
        doc.put("activation_quantization", c.activations());
        doc.put("provenance", provenance);
        Path json = ModelStore.besides(r.out(), ".compression.json");
        try {
            Files.writeString(json, Json.write(doc), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SqueezeException("cannot write " + json + ": " + e.getMessage());
        }
    }
}
