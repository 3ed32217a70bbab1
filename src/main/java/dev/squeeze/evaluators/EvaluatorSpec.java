package dev.squeeze.evaluators;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Yaml;
import dev.squeeze.model.compress.ActivationCalibration;
import dev.squeeze.model.compress.Importance;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Fidelity;

import java.util.List;

/**
 * An accuracy-proxy definition ({@code evaluators/*.yaml}, {@code squeeze-evaluator/v1}): which data,
 * how pruning picks units and activations are calibrated, and the fidelity ladder with its promotion rules.
 *
 * @param dataSeed      seed of the train / calibration / test splits
 * @param calibration   calibration images drawn for the search
 * @param importance    pruning criterion: l1, l2, fpgm, activation, taylor
 * @param actCalibration activation range calibration: minmax, percentile, mse
 * @param screenDrop    plans the predicted rung puts more than this below the baseline are recorded at
 *                      {@code predicted} fidelity and not measured (null: measure everything)
 * @param measuredImages calibration images the {@code measured} rung evaluates on
 * @param recovery      the {@code recovered} rung, or null to stop at {@code measured}
 * @param recalibrateBatchNorm re-estimate batch norm statistics after pruning, before a plan is measured or fine-tuned
 *                      ({@code pruning.recalibrate_batchnorm}, model/compress/BatchNormRecalibration.java)
 */
public record EvaluatorSpec(String source, long dataSeed, int calibration, Importance importance, ActivationCalibration actCalibration,
                            Double screenDrop, int measuredImages, Recovery recovery, boolean recalibrateBatchNorm) {
    public static final String SCHEMA = "squeeze-evaluator/v1";

    /** An evaluator that leaves batch norm statistics as trained. */
    public EvaluatorSpec(String source, long dataSeed, int calibration, Importance importance, ActivationCalibration actCalibration,
                         Double screenDrop, int measuredImages, Recovery recovery) {
        this(source, dataSeed, calibration, importance, actCalibration, screenDrop, measuredImages, recovery, false);
    }

    /** Every evaluator is valid once made, whether read from a file or built in code (a benchmark's, a test's). */
    public EvaluatorSpec {
        java.util.Objects.requireNonNull(source, "source");
        java.util.Objects.requireNonNull(importance, "importance");
        java.util.Objects.requireNonNull(actCalibration, "actCalibration");
        if (calibration < 1) throw new IllegalArgumentException(source + ": data.calibration must be >= 1, got " + calibration);
        if (measuredImages < 1 || measuredImages > calibration) {
            throw new IllegalArgumentException(source + ": measured.images (" + measuredImages + ") must be 1..data.calibration (" + calibration + ")");
        }
        if (screenDrop != null && !(screenDrop > 0 && screenDrop <= 1)) {
            throw new IllegalArgumentException(source + ": predicted.screen_drop must be in (0, 1], got " + screenDrop);
        }
    }

    /**
     * Short distillation fine-tunes for promising plans: after each generation, up to {@code perGeneration}
     * plans from the current non-dominated set (constraints ignored, so a plan that only needs fine-tuning
     * to meet an accuracy constraint is not shut out) that have not been recovered, spread along the job's first
     * cost objective ({@code search.Promotion} chooses them), at most {@code total} in the run, from generation {@code fromGeneration} on (0 = the first): a front
     * a few generations old is mostly replaced later, and with it the plans recovered from it. {@code learningRate} is
     * Adam's first step, decayed linearly to zero over the steps (and over export's fine-tune of the chosen plan).
     */
    public record Recovery(int steps, int batch, int perGeneration, int total, int fromGeneration, double learningRate) {
        /** Adam's first step when an evaluator names none: what fashion-cnn's short recoveries were tuned with. */
        public static final double DEFAULT_LEARNING_RATE = 1e-3;

        public Recovery {
            if (steps < 1 || batch < 1) throw new IllegalArgumentException("recovered.steps and batch must be >= 1, got " + steps + " and " + batch);
            if (!(learningRate > 0 && learningRate < 1)) {
                throw new IllegalArgumentException("recovered.learning_rate must be in (0, 1), got " + learningRate);
            }
            if (perGeneration < 0 || total < 0) throw new IllegalArgumentException("recovered.per_generation and total must be >= 0");
            if (fromGeneration < 0) throw new IllegalArgumentException("recovered.from_generation must be >= 0, got " + fromGeneration);
        }

        public Recovery(int steps, int batch, int perGeneration, int total, int fromGeneration) {
            this(steps, batch, perGeneration, total, fromGeneration, DEFAULT_LEARNING_RATE);
        }

        public Recovery(int steps, int batch, int perGeneration, int total) {
            this(steps, batch, perGeneration, total, 0);
        }

        /** Recoveries after {@code generation} (0-based): {@code perGeneration} a generation from {@code fromGeneration} until {@code total} are spent. */
        public int budget(int generation) {
            if (generation < fromGeneration) return 0;
            int spent = (generation - fromGeneration) * perGeneration;
            return Math.max(0, Math.min(perGeneration, total - spent));
        }

        /** The rung's length in epochs over {@code trainImages} (steps past one epoch go round the split again). */
        public double epochs(int trainImages) {
            return steps / (double) Math.max(1, trainImages / batch);
        }
    }

    public static EvaluatorSpec parse(Yaml doc, String source) {
        JsonNode r = doc.root();
        doc.checkKeys(r, "the evaluator", List.of("schema", "description", "data", "pruning", "activations", "fidelity"));
        doc.checkSchema(r, "the evaluator", SCHEMA);
        JsonNode data = doc.required(r, "data", "the evaluator");
        doc.checkKeys(data, "data", List.of("seed", "calibration"));
        JsonNode pruning = r.has("pruning") ? r.get("pruning") : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        doc.checkKeys(pruning, "pruning", List.of("importance", "recalibrate_batchnorm"));
        boolean recalibrate = doc.bool(pruning, "recalibrate_batchnorm", "pruning", false);
        Importance importance = pruning.has("importance")
                ? Importance.parse(doc.text(pruning, "importance", "pruning"), doc.at(pruning.get("importance"))) : Importance.L1;
        JsonNode acts = r.has("activations") ? r.get("activations") : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        doc.checkKeys(acts, "activations", List.of("calibration"));
        ActivationCalibration actCal = acts.has("calibration")
                ? ActivationCalibration.parse(doc.text(acts, "calibration", "activations"), doc.at(acts.get("calibration"))) : ActivationCalibration.MINMAX;
        JsonNode f = doc.required(r, "fidelity", "the evaluator");
        doc.checkKeys(f, "fidelity", java.util.Arrays.stream(Fidelity.values()).map(Fidelity::key).toList());
        String predictedKey = Fidelity.PREDICTED.key(), measuredKey = Fidelity.MEASURED.key(), recoveredKey = Fidelity.RECOVERED.key();
        Double screen = null;
        if (f.has(predictedKey)) {
            doc.checkKeys(f.get(predictedKey), "fidelity." + predictedKey, List.of("screen_drop"));
            if (f.get(predictedKey).has("screen_drop")) screen = f.get(predictedKey).get("screen_drop").asDouble();
        }
        JsonNode m = doc.required(f, measuredKey, "fidelity");
        doc.checkKeys(m, "fidelity." + measuredKey, List.of("images"));
        int calibration = doc.integer(data, "calibration", "data", 2000);
        int measured = doc.integer(m, "images", "fidelity." + measuredKey, calibration);
        if (measured > calibration) throw doc.error(m, "measured.images (" + measured + ") exceeds data.calibration (" + calibration + ")");
        try {
            Recovery recovery = null;
            if (f.has(recoveredKey)) {
                JsonNode rc = f.get(recoveredKey);
                String at = "fidelity." + recoveredKey;
                doc.checkKeys(rc, at, List.of("steps", "batch", "learning_rate", "per_generation", "total", "from_generation"));
                recovery = new Recovery(doc.integer(rc, "steps", at, 100), doc.integer(rc, "batch", at, 64),
                        doc.integer(rc, "per_generation", at, 2), doc.integer(rc, "total", at, 10), doc.integer(rc, "from_generation", at, 0),
                        rc.has("learning_rate") ? rc.get("learning_rate").asDouble(Double.NaN) : Recovery.DEFAULT_LEARNING_RATE);
            }
            return new EvaluatorSpec(source, doc.integer(data, "seed", "data", 42), calibration, importance, actCal, screen, measured, recovery,
                    recalibrate);
        } catch (IllegalArgumentException e) {
            throw new dev.squeeze.SqueezeException(e.getMessage().startsWith(source) ? e.getMessage() : source + ": " + e.getMessage());
        }
    }

    /**
     * Export's default fine-tune, in epochs over {@code trainImages}: twice the recovered rung's (at least one epoch), so
     * that a plan's recovered accuracy is a floor for what its export reaches. The rung's drop is measured on the
     * calibration split, where drops read smaller than on the test split export reports (fashion-cnn on raspberry-pi-4,
     * three plans: by 0.15 to 0.6 points at equal length); the longer final fine-tune is the margin.
     */
    public double exportEpochs(int trainImages) {
        if (recovery == null) return 1;
        return Math.max(1, 2 * recovery.epochs(trainImages));
    }

    /** Export's fine-tune starts at the recovered rung's learning rate, so what the rung measured is what export continues. */
    public double exportLearningRate() {
        return recovery == null ? Recovery.DEFAULT_LEARNING_RATE : recovery.learningRate();
    }

    /**
     * 16 hex digits of the SHA-256 of the settings: the spec as JSON without {@code source}, so equal settings read from
     * different places hash alike, and any setting that changes how a rung measures changes it.
     */
    public String settingsHash() {
        var settings = dev.squeeze.Json.json().<com.fasterxml.jackson.databind.node.ObjectNode>valueToTree(this);
        settings.remove("source");
        return dev.squeeze.ConfigFiles.sha256(dev.squeeze.Json.line(settings).getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 16);
    }

    /** What an evaluation made by {@code rung} of this evaluator records about its maker. */
    public EvaluatedBy evaluatedBy(String rung) {
        return new EvaluatedBy(source, settingsHash(), rung);
    }

    /** How plans are applied under this evaluator (its importance criterion and activation calibration), by search and export alike. */
    public dev.squeeze.model.compress.Compressor.Options compressorOptions() {
        return new dev.squeeze.model.compress.Compressor.Options(importance, 1, actCalibration,
                dev.squeeze.model.compress.Compressor.Options.DEFAULT.calibrationImages(), recalibrateBatchNorm);
    }
}
