package dev.squeeze.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.ConfigFiles;
import dev.squeeze.Json;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.evaluators.EvaluatorSpec;
import dev.squeeze.hardware.CostModel;
import dev.squeeze.hardware.Profiles;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.LayerNode;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.FineTuner;
import dev.squeeze.results.RunReport;
import dev.squeeze.results.Trial;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    public record Accuracy(double baseline, double dl4j, double onnxruntime, Double search, String searchFidelity, int testImages) {}

    public record Layer(String name, String type, Integer keptUnits, Integer units, int weightBits, int actBits,
                        Map<String, float[]> weightScales, Float actScale, Integer actZeroPoint, String actAfter) {}

    public record Manifest(String trial, String run, String model, String device, CompressionPlan plan, Map<String, Double> predicted,
                           Accuracy accuracy, double agreement, long params, long macs, double sizeMb, String onnxOpset,
                           List<Layer> layers, Map<String, Object> provenance, Map<String, String> files) {}

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
        ModelHandle model = ModelStore.load(job.get("model").asText());
        String device = job.get("device").asText();
        var evalFile = ConfigFiles.find(job.get("evaluator").asText(), "evaluators", "evaluator");
        EvaluatorSpec spec = EvaluatorSpec.parse(evalFile.yaml(), evalFile.where());
        CompressionPlan plan = trial.plan().validate(model.graph(), "trial " + trial.id());
        DataSplits splits = DataSplits.load(r.dataDir(), spec.dataSeed(), spec.calibration());
        progress.log(String.format("exporting trial %s of %s: %s on %s, %d test images", trial.id(), report.run(), model.name(), device,
                splits.test().count()));

        var compressor = new Compressor(model, spec.compressorOptions(), splits.calibration());
        double epochs = r.epochs() != null ? r.epochs() : spec.exportEpochs(splits.train().count());
        var settings = epochs > 0 ? FineTuner.Settings.DEFAULT.withEpochs(epochs).withSeed(spec.dataSeed()) : null;
        var pruned = compressor.pruneAndFineTune(plan, 1, splits.train(), settings, progress);
        CompressedModel c = compressor.quantize(pruned, plan);

        progress.update("measuring on the test split: DL4J simulation");
        Images test = splits.test();
        var encoded = dev.squeeze.model.Accuracy.Encoded.of(test, model.encoding()); // once for the three classifiers below
        double baseline = encoded.accuracy(features -> dev.squeeze.model.Accuracy.predict(model.network(), features));
        int[] dl4j = encoded.predictions(c::predict);
        byte[] onnx = OnnxWriter.write(c, Dl4jGraphs.toInputType(model.graph().inputs().values().iterator().next()));
        progress.update("measuring on the test split: ONNX Runtime");
        int[] ort;
        try (OnnxRunner runner = OnnxRunner.of(onnx, r.threads())) {
            ort = encoded.predictions(runner::predict);
        }
        double agreement = dev.squeeze.model.Accuracy.share(dl4j, ort);
        var accuracy = new Accuracy(baseline, dev.squeeze.model.Accuracy.share(dl4j, test.labels()),
                dev.squeeze.model.Accuracy.share(ort, test.labels()), trial.values().get("accuracy"), trial.fidelity(), test.count());

        var costs = CostModel.of(model.graph(), Profiles.load(device)).objectives(plan, job.has("batch") ? job.get("batch").asInt() : 1);
        var predicted = new LinkedHashMap<String, Double>();
        for (String k : List.of("latency_ms", "energy_mj", "size_mb", "peak_memory_mb")) if (costs.containsKey(k)) predicted.put(k, costs.get(k));
        var provenance = new LinkedHashMap<String, Object>();
        provenance.put("run_provenance", report.provenance());
        provenance.put("model_sha256", ModelStore.sha256(job.get("model").asText()));
        provenance.put("evaluator", evalFile.where());
        provenance.put("data", splits.description());
        provenance.put("finetune", settings);
        provenance.put("squeeze", dev.squeeze.Version.squeeze());
        provenance.put("exported_at", Instant.now().toString());
        var files = new LinkedHashMap<String, String>();
        files.put("dl4j", "model.zip");
        files.put("onnx", "model.onnx");
        var manifest = new Manifest(trial.id(), report.run(), model.name(), device, plan, predicted, accuracy, agreement,
                c.graph().params(), c.graph().macs(), c.sizeMb(), "ai.onnx " + OnnxWriter.opset(c), layers(c, model), provenance, files);

        write(out, c, model, manifest, onnx, splits);
        if (1 - agreement > MAX_DISAGREEMENT) {
            throw new SqueezeException(String.format("ONNX Runtime and the DL4J simulation disagree on %.2f%% of %d test predictions (limit %.1f%%): "
                    + "%s is kept for inspection but is not deployable", 100 * (1 - agreement), test.count(), 100 * MAX_DISAGREEMENT, out));
        }
        return new Result(out, manifest);
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
            var card = c.card(model, model.name() + "-" + manifest.trial(), manifest.accuracy().dl4j(), manifest.accuracy().testImages(),
                    splits.description(), 0, 0, "squeeze export " + manifest.run() + " --trial " + manifest.trial());
            ModelStore.save(c.network(), card, out.resolve("model.zip"));
            Files.write(out.resolve("model.onnx"), onnx);
            Files.writeString(out.resolve("manifest.json"), Json.write(manifest));
        } catch (IOException e) {
            throw new SqueezeException("cannot write " + out + ": " + e.getMessage());
        }
    }
}
