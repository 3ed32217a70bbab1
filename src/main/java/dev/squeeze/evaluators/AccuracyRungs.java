package dev.squeeze.evaluators;

import dev.squeeze.StopRequest;
import dev.squeeze.data.Images;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.compress.TeacherOutputs;
import dev.squeeze.results.Objective;

import java.util.Map;
import java.util.function.Function;

/**
 * Where the measured and recovered rungs run: {@link #LOCAL} on this machine's threads, or elsewhere (a cluster of
 * squeeze workers, {@code evaluators.cluster}). Either way a plan's accuracy depends only on {@link Inputs}, so the
 * same inputs measure the same plan the same on any machine, and costs are always added where the search runs.
 */
public interface AccuracyRungs {
    /**
     * Everything that decides a plan's accuracy (or other quality metric) on the two rungs.
     *
     * @param quality        the quality objective the rungs measure (accuracy, agreement, ...)
     * @param measuredImages the calibration images the measured rung evaluates on (also the compressor's calibration data)
     * @param trainImages    the recovered rung's fine-tuning images, or null when the evaluator has no recovered rung
     * @param threads        plans evaluated at once on this machine (one network copy each)
     * @param costs          a plan's cost objectives, computed here and added to every result
     * @param stop           ends batches early (see {@link ParallelEvaluator})
     */
    record Inputs(ModelHandle model, EvaluatorSpec spec, Objective quality, Images measuredImages, Images trainImages, int threads,
                  Function<CompressionPlan, Map<String, Double>> costs, StopRequest stop) {}

    /** The measured rung, and the recovered one when the evaluator has it (else null). */
    record Opened(Rung measured, Rung recovered) {}

    Opened open(Inputs in);

    /** How the measured rung measures, for {@code evaluated_by}: "accuracy measured on 2000 calibration images, l1 importance". */
    static String measuredHow(Inputs in) {
        return in.quality().key() + " measured on " + in.measuredImages().count() + " calibration images, " + in.spec().importance().label() + " importance";
    }

    /** On this machine: one worker thread and one network copy per {@code threads}, a rung's workers sharing what is read-only. */
    AccuracyRungs LOCAL = in -> {
        if (in.threads() > 1) dev.squeeze.model.Backend.oneThreadPerCandidate();
        EvaluatorSpec spec = in.spec();
        var shared = MeasuredAccuracy.Shared.of(in.model(), in.measuredImages(), spec.compressorOptions(), MeasuredAccuracy.Runtime.ONNX_RUNTIME, in.quality());
        String measuredHow = measuredHow(in);
        var measured = new ParallelEvaluator(in.threads(), () -> new MeasuredAccuracy(shared), in.costs(), spec.evaluatedBy(measuredHow), in.stop());
        if (spec.recovery() == null || in.trainImages() == null) return new Opened(measured, null);
        var r = spec.recovery();
        var teacherOutputs = new TeacherOutputs(in.model().network(), in.trainImages(), in.model().encoding());
        var recovered = new ParallelEvaluator(in.threads(), () -> new MeasuredAccuracy(shared, r, teacherOutputs, in.stop()), in.costs(),
                spec.evaluatedBy("recovered: " + r.steps() + " distillation steps of " + r.batch() + " from learning rate " + r.learningRate()
                        + ", then " + measuredHow), in.stop());
        return new Opened(measured, recovered);
    };
}
