package dev.squeeze.export;

import dev.squeeze.onnx.OnnxWriter;
import dev.squeeze.onnx.OnnxRunner;
import dev.squeeze.onnx.LatencyTiming;
import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.ConfigFiles;
import dev.squeeze.Json;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.evaluators.EvaluatorSpec;
import dev.squeeze.evaluators.QualityMeasure;
import dev.squeeze.hardware.CostModel;
import dev.squeeze.hardware.Profiles;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.LayerNode;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.CompressionProvenance;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.FineTuner;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Objective;
import dev.squeeze.results.RunReport;
import dev.squeeze.results.Trial;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code squeeze export}: from a run's stored plan (never from genes), prune physically, fine-tune with the plan's
 * distillation settings, quantise, and write {@code exports/<trial>/model.zip}, {@code model.onnx} and
 * {@code manifest.json}. ONNX Runtime runs the exported file on the held-out test split; when its predictions
 * disagree with the DL4J simulation on more than {@link #MAX_DISAGREEMENT} of the images, the files stay for
 * inspection and the export fails.
 */
public final class Exporting {
    public static final double MAX_DISAGREEMENT = 0.005;

    private Exporting() {}

    /**
     * @param epochs distillation fine-tuning epochs (0 = quantise the pruned network as it is; null = twice as long as the
     *               run's recovered rung, at least one: {@link EvaluatorSpec#exportEpochs})
     */
    public record Request(String run, Path results, TrialChoice choice, Double epochs, boolean force, Path dataDir, int threads) {}

    /**
     * One quality metric on the test split: the uncompressed network's, the exported model's in the DL4J simulation and
     * in ONNX Runtime, and what the search measured (on the calibration split, at its fidelity; null when the run did not
     * measure this metric).
     */
    public record Quality(String metric, double baseline, double dl4j, double onnxruntime, Double search, Fidelity searchFidelity, int testImages) {}

    public record Layer(String name, String type, Integer keptUnits, Integer units, int weightBits, int actBits,
                        Map<String, float[]> weightScales, Float actScale, Integer actZeroPoint, String actAfter) {}

    /**
     * The written model timed here beside the uniform-int8 export of the same uncompressed network, in one process
     * ({@link LatencyTiming#VALIDATE}, validate's method).
     *
     * @param latencyMs            the exported model.onnx, median ms per inference
     * @param uniformInt8LatencyMs uniform w8a8 of the uncompressed model, the search's int8 baseline, timed alongside
     * @param contradicts          the prediction says faster than uniform int8 and the timing here says slower (or the other way)
     */
    public record Measured(double latencyMs, double uniformInt8LatencyMs, double speedupOverUniformInt8, boolean contradicts, String method) {}

    /**
     * Which network was kept: the fine-tuned one or the one quantised without fine-tuning, whichever reads better on
     * the calibration split: images of the training file that neither the baseline nor the fine-tune learnt from
     * (never the test split).
     */
    public record FineTuneChoice(String kept, String metric, double epochs, int fineTuneImages, int validationImages, Double fineTuned,
                                 double untuned) {}

    /**
     * @param quality  the run's quality metric (accuracy, agreement, ...) on the test split
     * @param accuracy top-1 accuracy on the test split, whatever the run measured; null when the data has no labels
     */
    public record Manifest(String trial, String run, String model, String device, CompressionPlan plan, Map<String, Double> predicted,
                           Map<String, Double> predictedLocalCpu, Measured measured, Quality quality, Quality accuracy, double agreement,
                           FineTuneChoice finetune,
                           long params, long macs, double sizeMb, String onnxOpset,
                           List<Layer> layers, Provenance provenance, Map<String, String> files) {}

    /** How an export was made: the run it came from (its provenance.json as written), the evaluator, and the compression. */
    public record Provenance(JsonNode run, String evaluator, CompressionProvenance compression) {}

    public record Result(Path dir, Manifest manifest) {}

    public static Result run(Request r, Progress progress) {
        RunReport report = RunReport.load(r.run(), r.results());
        Trial trial = r.choice().pick(report.trials(), report.run());
        JsonNode job = report.job();
        if (job == null) throw new SqueezeException(report.dir() + " has no run.yaml: cannot tell which model and device the run used");
        Path out = report.dir().resolve("exports").resolve(trial.id());
        if (Files.exists(out) && !r.force()) {
            throw new SqueezeException(out + " already exists: pass --force to overwrite it, or remove it");
        }
        String device = job.get("device").asText();
        var evalFile = ConfigFiles.find(job.get("evaluator").asText(), "evaluators", "evaluator");
        EvaluatorSpec spec = EvaluatorSpec.parse(evalFile.yaml(), evalFile.where());
        DataSplits splits = DataSplits.load(r.dataDir(), spec.dataSeed(), spec.calibration());
        ModelHandle model = ModelStore.load(job.get("model").asText(), () -> splits.test().shape());
        CompressionPlan plan = trial.plan().validate(model.graph(), "trial " + trial.id());
        model.checkReads(splits);
        progress.log(String.format("exporting trial %s of %s: %s on %s, %d test images", trial.id(), report.run(), model.name(), device,
                splits.test().count()));

        var compressor = new Compressor(model, spec.compressorOptions(), splits.calibration());
        double epochs = r.epochs() != null ? r.epochs() : spec.exportEpochs(splits.train().count());
        Objective metric = report.quality();
        var chosen = fineTuneOrNot(compressor, plan, epochs, spec.exportLearningRate(), splits, spec.dataSeed(), model, metric, progress);
        CompressedModel c = chosen.model();

        progress.update("measuring on the test split: DL4J simulation");
        Images test = splits.test();
        var encoded = dev.squeeze.model.Accuracy.Encoded.of(test, model.encoding()); // once for the three classifiers below
        Function<INDArray, INDArray> uncompressed = features -> dev.squeeze.model.Accuracy.output(model.network(), features);
        var base = QualityMeasure.read(encoded, uncompressed); // once: the baseline's figures and the label-free metrics' reference
        var measure = QualityMeasure.of(metric, encoded, base);
        var dl4j = measure.outputs(c::output);
        byte[] onnx = OnnxWriter.write(c, Dl4jGraphs.toInputType(model.graph().inputs().values().iterator().next()));
        progress.update("measuring on the test split: ONNX Runtime");
        QualityMeasure.Outputs ort;
        try (OnnxRunner runner = OnnxRunner.of(onnx, r.threads())) {
            ort = measure.outputs(runner::output);
        }
        double agreement = dev.squeeze.model.Accuracy.share(dl4j.classes(), ort.classes());
        var quality = quality(measure, base, dl4j, ort, trial);
        var accuracy = !test.labelled() ? null : metric == Objective.ACCURACY ? quality
                : quality(QualityMeasure.of(Objective.ACCURACY, encoded, base), base, dl4j, ort, trial);

        int batch = job.has("batch") ? job.get("batch").asInt() : 1;
        var predicted = predicted(model, device, plan, batch);
        var predictedInt8 = predicted(model, device, CompressionPlan.uniform("w8a8"), batch);
        Map<String, Double> predictedHere = Profiles.exists(LOCAL_CPU) ? predicted(model, LOCAL_CPU, plan, 1) : null;
        double latency = predicted.get(Objective.LATENCY_MS.key()), int8Latency = predictedInt8.get(Objective.LATENCY_MS.key());
        Measured measured = timeAgainstUniformInt8(onnx, compressor, model, test, latency < int8Latency, progress);
        if (measured.contradicts()) {
            progress.log(String.format("note: %s predicts this plan %s than uniform int8 (%.4f vs %.4f ms), but here it runs %s (%.4f vs %.4f ms "
                            + "in ONNX Runtime): the profile's formats may not be what this machine's runtime runs fast",
                    device, latency < int8Latency ? "faster" : "slower", latency, int8Latency, measured.speedupOverUniformInt8() >= 1 ? "faster" : "slower",
                    measured.latencyMs(), measured.uniformInt8LatencyMs()));
        }
        var provenance = new Provenance(report.provenance(), evalFile.where(), CompressionProvenance.of(model.source(),
                ModelStore.sha256(job.get("model").asText()), splits.description(), spec.compressorOptions(), chosen.settings(),
                "squeeze export " + report.run() + " --trial " + trial.id()));
        var files = new LinkedHashMap<String, String>();
        files.put("dl4j", "model.zip");
        files.put("onnx", "model.onnx");
        var manifest = new Manifest(trial.id(), report.run(), model.name(), device, plan, predicted, predictedHere, measured, quality, accuracy, agreement,
                chosen.choice(), c.graph().params(), c.graph().macs(), c.sizeMb(), "ai.onnx " + OnnxWriter.opset(c), layers(c, model),
                provenance, files);

        write(out, c, model, manifest, onnx, splits);
        if (1 - agreement > MAX_DISAGREEMENT) {
            throw new SqueezeException(String.format("ONNX Runtime and the DL4J simulation disagree on %.2f%% of %d test predictions (limit %.1f%%): "
                    + "%s is kept for inspection but is not deployable", 100 * (1 - agreement), test.count(), 100 * MAX_DISAGREEMENT, out));
        }
        return new Result(out, manifest);
    }

    /** One metric of the three networks' test outputs, beside what the search measured of it (when it did). */
    private static Quality quality(QualityMeasure measure, QualityMeasure.Outputs base, QualityMeasure.Outputs dl4j, QualityMeasure.Outputs ort,
                                   Trial trial) {
        Double search = trial.values().get(measure.metric().key());
        return new Quality(measure.metric().key(), measure.of(base), measure.of(dl4j), measure.of(ort), search,
                search == null ? null : trial.fidelity(), measure.count());
    }

    /** The profile of this machine that {@code squeeze profiles calibrate} writes; predictions on it are checked by the timing. */
    static final String LOCAL_CPU = "local-cpu";

    private record Chosen(CompressedModel model, FineTuner.Settings settings, FineTuneChoice choice) {}

    /**
     * The plan applied with and without fine-tuning, and the one whose DL4J simulation reads better on the run's
     * quality metric on the calibration split (a tie keeps the untuned one: fine-tuning that does not help is not worth its risk). With no
     * fine-tune asked for, the untuned one. The choice is not made on train images: the baseline learnt those, so the
     * untuned network, closest to it, read better there whatever the fine-tune did (t0146 of the rpi4 job: 0.9492
     * untuned against 0.9346 fine-tuned on held-out train images).
     */
    private static Chosen fineTuneOrNot(Compressor compressor, CompressionPlan plan, double epochs, double learningRate, DataSplits splits, long seed,
                                        ModelHandle model, Objective metric, Progress progress) {
        Images check = splits.calibration();
        var measure = QualityMeasure.of(metric, dev.squeeze.model.Accuracy.Encoded.of(check, model.encoding()),
                features -> dev.squeeze.model.Accuracy.output(model.network(), features));
        CompressedModel untuned = compressor.quantize(compressor.prune(plan), plan);
        double untunedAccuracy = measure.of(untuned::output);
        if (epochs <= 0) {
            return new Chosen(untuned, null, new FineTuneChoice("not fine-tuned (none asked for)", metric.key(), 0, 0, check.count(), null,
                    untunedAccuracy));
        }
        Images train = splits.train();
        if (train.count() < check.count()) {
            throw new SqueezeException(String.format("the train split has %,d images, fewer than the %,d calibration images the fine-tune "
                    + "is judged on: pass --epochs 0, or use data with a larger training file", train.count(), check.count()));
        }
        var settings = new FineTuner.Settings(epochs, FineTuner.Settings.DEFAULT.batch(), learningRate, true, 1.0, seed);
        var pruned = compressor.pruneAndFineTune(plan, 1, train, settings, progress);
        CompressedModel tuned = compressor.quantize(pruned, plan);
        dev.squeeze.model.Backend.release(pruned.network());
        double tunedAccuracy = measure.of(tuned::output);
        boolean keepTuned = metric.better(tunedAccuracy, untunedAccuracy);
        progress.log(String.format("%s on the %,d calibration images: fine-tuned %.4f, not fine-tuned %.4f; keeping the %s model",
                metric.key(), check.count(), tunedAccuracy, untunedAccuracy, keepTuned ? "fine-tuned" : "not fine-tuned"));
        (keepTuned ? untuned : tuned).close();
        return new Chosen(keepTuned ? tuned : untuned, settings, new FineTuneChoice(keepTuned ? "fine-tuned" : "not fine-tuned", metric.key(), epochs,
                train.count(), check.count(), tunedAccuracy, untunedAccuracy));
    }

    private static Map<String, Double> predicted(ModelHandle model, String device, CompressionPlan plan, int batch) {
        var costs = CostModel.of(model.graph(), Profiles.load(device)).objectives(plan, batch);
        var out = new LinkedHashMap<String, Double>();
        for (Objective o : Objective.values()) if (!o.quality() && costs.containsKey(o.key())) out.put(o.key(), costs.get(o.key()));
        return out;
    }

    /** The written model and uniform int8 of the uncompressed network, timed side by side here at batch 1 on one thread. */
    private static Measured timeAgainstUniformInt8(byte[] onnx, Compressor compressor, ModelHandle model, Images test, boolean predictedFaster,
                                                   Progress progress) {
        progress.update("timing model.onnx beside uniform int8 in ONNX Runtime");
        var inputType = Dl4jGraphs.toInputType(model.graph().inputs().values().iterator().next());
        byte[] int8;
        try (CompressedModel uniform = compressor.apply(CompressionPlan.uniform("w8a8"))) {
            int8 = OnnxWriter.write(uniform, inputType);
        }
        INDArray one = model.encoding().features(test, 0, 1);
        var timing = LatencyTiming.VALIDATE;
        try (OnnxRunner a = OnnxRunner.of(onnx, 1); OnnxRunner b = OnnxRunner.of(int8, 1)) {
            double[] ms = timing.medianMillis(List.of(a, b), one);
            double speedup = ms[1] / ms[0];
            return new Measured(ms[0], ms[1], speedup, predictedFaster != (speedup > 1), timing.describe(1, 1));
        }
    }

    /** Per layer of the original graph: kept units, bits, weight scales, and the activation quantiser after its block. */
    private static List<Layer> layers(CompressedModel c, ModelHandle model) {
        var out = new ArrayList<Layer>();
        for (LayerNode n : model.graph().nodes()) {
            var lp = c.plan().forLayer(n.name());
            DependencyGroup g = model.graph().groupOf(n.name()).orElse(null);
            Integer units = g == null ? null : g.units();
            Integer kept = g == null ? null : c.graph().prunableUnits(n.name());
            var scales = new LinkedHashMap<String, float[]>();
            c.weights().getOrDefault(n.name(), Map.of()).forEach((k, q) -> scales.put(k, q.scales()));
            var act = c.activations().get(n.name());
            out.add(new Layer(n.name(), n.type(), kept, units, lp.weightBits(), lp.actBits(), scales.isEmpty() ? null : scales,
                    act == null || act.isFloat16() ? null : act.scale(), act == null || act.isFloat16() ? null : act.zeroPoint(),
                    act == null ? null : (act.isFloat16() ? "fp16" : "int" + act.bits())));
        }
        return out;
    }

    private static void write(Path out, CompressedModel c, ModelHandle model, Manifest manifest, byte[] onnx, DataSplits splits) {
        try {
            Files.createDirectories(out);
            var card = c.card(model, model.name() + "-" + manifest.trial(), manifest.accuracy() == null ? null : manifest.accuracy().dl4j(),
                    manifest.quality().testImages(),
                    splits.description(), 0, 0, "squeeze export " + manifest.run() + " --trial " + manifest.trial());
            ModelStore.save(c.network(), card, out.resolve("model.zip"));
            Files.write(out.resolve("model.onnx"), onnx);
            Files.writeString(out.resolve("manifest.json"), Json.write(manifest));
        } catch (IOException e) {
            throw new SqueezeException("cannot write " + out + ": " + e.getMessage());
        }
    }
}
