package dev.squeeze.evaluators;

import dev.squeeze.Progress;
import dev.squeeze.StopRequest;
import dev.squeeze.data.Images;
import dev.squeeze.onnx.OnnxCalibrator;
import dev.squeeze.onnx.OnnxRunner;
import dev.squeeze.onnx.OnnxWriter;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.Backend;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.FineTuner;
import dev.squeeze.model.compress.TeacherOutputs;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Objective;
import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * The {@code measured} rung: each plan applied by {@link Compressor} exactly as export applies it (physical
 * pruning, per-channel weight quantisation, calibrated activation quantisers), then its quality metric
 * ({@link QualityMeasure}: accuracy, or a label-free one) measured on the calibration images. With {@code recovery}, the {@code recovered} rung: a short distillation fine-tune
 * (quantisation-aware, the plan's temperature and alpha, seeded by the plan) between pruning and quantising.
 *
 * <p>The search runs calibration and inference in ONNX Runtime ({@link Runtime#ONNX_RUNTIME}), one thread per
 * candidate with candidates in parallel: the compressed network is written as ONNX exactly as export writes it
 * (integer weights with batch norms folded in, activation QuantizeLinear/DequantizeLinear pairs) and run as the
 * deployed file runs, with all of ONNX Runtime's optimisations (its integer kernels, MatMulNBits), so the search
 * measures the model users ship (export checks that it agrees with the DL4J simulation on more than 99.5% of
 * predictions; the simulation follows ONNX Runtime's integer arithmetic, {@code model.compress.Deployment}, and
 * OnnxWeightsTest holds 99.8%). {@link Runtime#DL4J} is the
 * reference, measured beside it by {@code squeeze bench eval-speed}. One instance per worker; the {@link Shared}
 * part is built once for all of them.
 */
public final class MeasuredAccuracy implements AccuracyProxy {
    /** Where calibration and inference run. */
    public enum Runtime { DL4J, ONNX_RUNTIME }

    /**
     * What the workers' proxies share, read-only: the compressor (its unit ranking and encoded calibration
     * features) and the quality measure (the encoded images, and the uncompressed network's outputs on them when the
     * metric compares with those), built once for all of them.
     */
    public record Shared(ModelHandle model, Compressor compressor, QualityMeasure measure, Runtime runtime, InputType inputType,
                  Compressor.Calibrator calibrator) {
        /** Measuring top-1 accuracy. */
        public static Shared of(ModelHandle model, Images images, Compressor.Options options, Runtime runtime) {
            return of(model, images, options, runtime, Objective.ACCURACY);
        }

        public static Shared of(ModelHandle model, Images images, Compressor.Options options, Runtime runtime, Objective metric) {
            InputType inputType = Dl4jGraphs.toInputType(model.graph().inputs().values().iterator().next());
            var encoded = Accuracy.Encoded.of(images, model.encoding(), runtime == Runtime.DL4J ? Accuracy.BATCH : OnnxRunner.FRESH_SESSION_BATCH);
            return new Shared(model, new Compressor(model, options, images),
                    QualityMeasure.of(metric, encoded, features -> Accuracy.output(model.network(), features)),
                    runtime, inputType, runtime == Runtime.DL4J ? Compressor.DL4J : new OnnxCalibrator(inputType, 1));
        }
    }

    private final Shared shared;
    private final EvaluatorSpec.Recovery recovery;
    private final Images train;
    private final FineTuner.Teacher teacher;
    private final Progress fineTuning;

    public MeasuredAccuracy(Shared shared) {
        this(shared, null, null, new StopRequest());
    }

    /**
     * The recovered rung; a {@code stop} request abandons a fine-tune within ten steps (it throws {@link StopRequest.Stopped}).
     * {@code teacherOutputs} are the uncompressed network's outputs on {@code train}, shared by all workers.
     */
    MeasuredAccuracy(Shared shared, EvaluatorSpec.Recovery recovery, TeacherOutputs teacherOutputs, StopRequest stop) {
        this.shared = shared;
        this.recovery = recovery;
        this.train = teacherOutputs == null ? null : teacherOutputs.images(); // the recovered rung's images
        this.fineTuning = abandonedOn(stop);
        // This worker's own copy of the uncompressed network to distil from: a DL4J network keeps each layer's input
        // in a field during a forward pass, so two fine-tunes sharing one teacher could read each other's batches.
        this.teacher = recovery == null ? null
                : new FineTuner.Teacher(shared.model().copyOfNetwork(), shared.model().graph(), teacherOutputs);
    }

    @Override
    public Fidelity fidelity() {
        return recovery == null ? Fidelity.MEASURED : Fidelity.RECOVERED;
    }

    @Override
    public Objective metric() {
        return shared.measure().metric();
    }

    @Override
    public double quality(CompressionPlan plan) {
        try (CompressedModel c = compress(plan)) {
            return quality(c);
        }
    }

    private CompressedModel compress(CompressionPlan plan) {
        Compressor compressor = shared.compressor();
        if (recovery == null) return compressor.apply(plan, shared.calibrator());
        ModelHandle model = shared.model();
        var pruned = compressor.prune(plan);
        var settings = new FineTuner.Settings(recovery.epochs(train.count()), recovery.batch(), recovery.learningRate(), true, 1.0, plan.key().hashCode());
        var tuned = FineTuner.fineTune(pruned.network(), pruned.graph(), pruned.selection(), teacher,
                plan, train, model.encoding(), settings, fineTuning);
        Backend.release(pruned.network());
        try {
            return compressor.quantize(new Compressor.Pruned(tuned.network(), pruned.graph(), pruned.selection()), plan, shared.calibrator());
        } finally {
            Backend.release(tuned.network()); // quantize worked on its own copy
        }
    }

    /**
     * The fine-tune's progress: silent, and where a stop request ends it. FineTuner reports every ten steps, between
     * ND4J calls, so unwinding from there leaves no native work half done; a recovery can take minutes, too long to
     * let it finish when a scheduler's SIGTERM gives a process seconds.
     */
    private static Progress abandonedOn(StopRequest stop) {
        return new Progress() {
            public void update(String status) {
                stop.throwIfRequested();
            }

            public void log(String line) {
                stop.throwIfRequested();
            }
        };
    }

    private double quality(CompressedModel c) {
        if (shared.runtime() == Runtime.DL4J) return shared.measure().of(c::output);
        try (OnnxRunner runner = OnnxRunner.of(OnnxWriter.write(c, shared.inputType()), 1)) {
            return shared.measure().of(runner::output);
        }
    }
}
