package dev.squeeze.bench;

import dev.squeeze.model.compress.ActivationCalibration;
import dev.squeeze.model.compress.Applying;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.FineTuner;
import dev.squeeze.model.compress.Importance;
import dev.squeeze.Progress;
import dev.squeeze.data.DataSplits;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.CompressionPlan.LayerPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compression operators' accuracy figures on the held-out test split: int8 without fine-tuning, pruning
 * plus distillation on both shipped models, and distillation against hard labels on a plan that loses
 * at least five points. Each scenario states its target; figures are measured, never assumed.
 */
public final class CompressionBenchmark {
    private CompressionBenchmark() {}

    public static final List<String> SCENARIOS = List.of("int8", "cnn-half-channels", "attention-half-heads", "kd-vs-hard");

    /**
     * @param learningRates fine-tuning learning rate by model name (Adam, decayed linearly to zero); the attention
     *                      model has 17x fewer parameters and recovers faster with a larger step
     */
    public record Request(List<String> scenarios, double epochs, Map<String, Double> learningRates, Importance importance, Path dataDir, long seed) {
        public static final Map<String, Double> DEFAULT_LEARNING_RATES = Map.of("fashion-cnn", 1e-3, "fashion-attention", 3e-3);
    }

    /**
     * @param targetDropPoints the most the scenario may lose against the baseline, or null (report only)
     */
    public record Row(String scenario, String model, String plan, String finetune, double baseline, double accuracy,
                      double dropPoints, Double targetDropPoints, Boolean met, long params, long baselineParams,
                      double finetuneSeconds) {}

    public static List<Row> run(Request r, Progress progress) {
        for (String s : r.scenarios()) {
            if (!SCENARIOS.contains(s)) throw new dev.squeeze.SqueezeException("unknown scenario '" + s + "': use " + String.join(", ", SCENARIOS));
        }
        DataSplits splits = DataSplits.load(r.dataDir(), r.seed(), DataSplits.DEFAULT_CALIBRATION);
        var models = new LinkedHashMap<String, ModelHandle>();
        var rows = new ArrayList<Row>();
        var kd = new CompressionPlan.Distillation(4, 0.3, List.of());
        String epochs = r.epochs() + " epoch" + (r.epochs() == 1 ? "" : "s");
        var cnnTune = settings(r, "fashion-cnn");
        var attentionTune = settings(r, "fashion-attention");
        for (String s : r.scenarios()) {
            progress.log("scenario " + s);
            switch (s) {
                case "int8" -> rows.add(row(s, load(models, "fashion-cnn"), "w8a8 everywhere", CompressionPlan.uniform("w8a8"), "none",
                        null, 0.5, splits, r, progress));
                case "cnn-half-channels" -> {
                    var plan = new CompressionPlan(new LayerPlan(0, 8, 8),
                            Map.of("conv1", new LayerPlan(0.5, 8, 8), "conv2", new LayerPlan(0.5, 8, 8)), kd);
                    rows.add(row(s, load(models, "fashion-cnn"), "conv1, conv2 half the channels; w8a8", plan, "KD T=4 alpha=0.3, " + epochs,
                            cnnTune, 1.5, splits, r, progress));
                }
                case "attention-half-heads" -> {
                    var plan = new CompressionPlan(CompressionPlan.NONE, Map.of("attention", new LayerPlan(0.5, 32, 32)), kd);
                    rows.add(row(s, load(models, "fashion-attention"), "attention 2 of 4 heads", plan, "KD T=4 alpha=0.3, " + epochs,
                            attentionTune, 2.0, splits, r, progress));
                }
                case "kd-vs-hard" -> {
                    ModelHandle m = load(models, "fashion-cnn");
                    var base = CompressionPlan.uniform("w8a8p0.5");
                    rows.add(row(s, m, "w8a8p0.5", base, "none", null, null, splits, r, progress));
                    rows.add(row(s, m, "w8a8p0.5", new CompressionPlan(base.defaults(), base.layers(), kd),
                            "KD T=4 alpha=0.3, " + epochs, cnnTune, null, splits, r, progress));
                    rows.add(row(s, m, "w8a8p0.5", new CompressionPlan(base.defaults(), base.layers(), new CompressionPlan.Distillation(4, 1.0, List.of())),
                            "hard labels only, " + epochs, cnnTune, null, splits, r, progress));
                }
                default -> throw new IllegalStateException(s);
            }
        }
        return rows;
    }

    private static FineTuner.Settings settings(Request r, String model) {
        double lr = r.learningRates().getOrDefault(model, FineTuner.Settings.DEFAULT.learningRate());
        return new FineTuner.Settings(r.epochs(), 64, lr, true, 1.0, r.seed());
    }

    private static ModelHandle load(Map<String, ModelHandle> cache, String name) {
        return cache.computeIfAbsent(name, ModelStore::load);
    }

    private static Row row(String scenario, ModelHandle m, String planText, CompressionPlan plan, String finetune,
                           FineTuner.Settings settings, Double target, DataSplits splits, Request r, Progress progress) {
        m.checkReads(splits);
        plan.validate(m.graph(), scenario);
        var o = Applying.apply(m, plan, splits, new Compressor.Options(r.importance(), 1, ActivationCalibration.MINMAX,
                Compressor.Options.DEFAULT.calibrationImages()), settings, 1, progress);
        double drop = 100 * (o.before().accuracy() - o.after().accuracy());
        String tuning = settings == null ? finetune : finetune + ", lr " + settings.learningRate();
        Row row = new Row(scenario, m.name(), planText, tuning, o.before().accuracy(), o.after().accuracy(), drop, target,
                target == null ? null : drop <= target, o.after().params(), o.before().params(), o.finetuneSeconds());
        progress.log(String.format("%s: %s, %s: %.4f -> %.4f (%.2f points)", scenario, planText, tuning, row.baseline(), row.accuracy(), drop));
        return row;
    }
}
