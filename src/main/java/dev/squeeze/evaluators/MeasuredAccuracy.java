package dev.squeeze.evaluators;

import dev.squeeze.Progress;
import dev.squeeze.data.Images;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.FineTuner;

/**
 * The {@code measured} rung: each plan applied by {@link Compressor} exactly as export applies it (physical
 * pruning, per-channel weight quantisation, calibrated activation quantisers), then evaluated on the
 * calibration images. With {@code recovery}, the {@code recovered} rung: a short distillation fine-tune
 * (quantisation-aware, the plan's temperature and alpha, seeded by the plan) between pruning and quantising.
 * Not thread-safe: one instance per worker.
 */
final class MeasuredAccuracy implements AccuracyProxy {
    private final ModelHandle model;
    private final Compressor compressor;
    private final Accuracy.Encoded images; // encoded once: every plan is measured on the same images
    private final EvaluatorSpec.Recovery recovery;
    private final Images train;

    MeasuredAccuracy(ModelHandle model, Images images, EvaluatorSpec spec) {
        this(model, images, spec, null, null);
    }

    MeasuredAccuracy(ModelHandle model, Images images, EvaluatorSpec spec, EvaluatorSpec.Recovery recovery, Images train) {
        this(model, images, spec.compressorOptions(), recovery, train);
    }

    MeasuredAccuracy(ModelHandle model, Images images, Compressor.Options options) {
        this(model, images, options, null, null);
    }

    private MeasuredAccuracy(ModelHandle model, Images images, Compressor.Options options, EvaluatorSpec.Recovery recovery, Images train) {
        this.model = model;
        this.images = Accuracy.Encoded.of(images, model.encoding());
        this.compressor = new Compressor(model, options, images);
        this.recovery = recovery;
        this.train = recovery == null ? null : train.head(Math.min(train.count(), recovery.steps() * recovery.batch()));
    }

    @Override
    public String fidelity() {
        return recovery == null ? "measured" : "recovered";
    }

    @Override
    public double accuracy(CompressionPlan plan) {
        CompressedModel c;
        if (recovery == null) {
            c = compressor.apply(plan);
        } else {
            var pruned = compressor.prune(plan);
            var settings = new FineTuner.Settings(1, recovery.batch(), FineTuner.Settings.DEFAULT.learningRate(), true, 1.0, plan.key().hashCode());
            var tuned = FineTuner.fineTune(pruned.network(), pruned.graph(), pruned.selection(), model.multiLayer(), model.graph(),
                    plan, train, model.encoding(), settings, Progress.NONE);
            c = compressor.quantize(new Compressor.Pruned(tuned.network(), pruned.graph(), pruned.selection()), plan);
        }
        return images.accuracy(c::predict);
    }
}
