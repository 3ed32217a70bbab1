package dev.squeeze.evaluators;

import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.StopRequest;
import dev.squeeze.hardware.CostModel;
import dev.squeeze.hardware.HardwareProfile;
import dev.squeeze.hardware.Profiles;
import dev.squeeze.spaces.Knob;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Objective;
import dev.squeeze.spaces.SearchSpace;

import java.util.Map;
import java.util.function.Function;

/**
 * What a search evaluates with: the measured rung (run where {@link AccuracyRungs} says, costs from the device
 * profile computed here), the ladder built on it once the sensitivity table exists, and the recovered rung's promoter.
 */
public final class SearchBackends implements AutoCloseable {
    private final Rung measured;
    private final Rung recovered;
    private final Function<CompressionPlan, Map<String, Double>> costs;
    private final Promoter promoter;
    private final String deviceSha256;
    private final Double screenDrop;
    private final EvaluatedBy predictedBy;

    SearchBackends(Rung measured, Rung recovered, Function<CompressionPlan, Map<String, Double>> costs,
                   Promoter promoter, String deviceSha256, Double screenDrop, EvaluatedBy predictedBy) {
        this.measured = measured;
        this.recovered = recovered;
        this.costs = costs;
        this.promoter = promoter;
        this.deviceSha256 = deviceSha256;
        this.screenDrop = screenDrop;
        this.predictedBy = predictedBy;
    }

    /**
     * Changes whenever the rungs measure differently, so persisted caches from older code are not reused:
     * 2 = plans applied by model.compress (physical pruning, quantisers after each conv-BN-ReLU block);
     * 3 = activations calibrated in one pass on float upstream activations, measured in ONNX Runtime;
     * 4 = recovered-rung workers distil from their own teacher (with a shared one, a cached recovered accuracy could
     * come from a fine-tune that was handed the other worker's targets);
     * 5 = the simulation computes what ONNX Runtime computes (8-bit weights use codes up to 64, biases of integer
     * kernels on their int32 grid, dense and attention weights below 5 bits in MatMulNBits blocks with its own input
     * quantisation), and the measured rung runs every file with all optimisations: cached accuracies of 8-bit and
     * sub-5-bit plans from older code measured other numerics (a w8a8 plan's in ONNX Runtime was saturated on AVX2);
     * 6 = the recovered rung distils from the teacher's outputs computed once for the train split (batches of another
     * size round differently in the last bits, and a quantisation-aware fine-tune can carry that to a different code).
     */
    public static final int RUNGS_VERSION = 6;

    /**
     * @param quality the quality objective the rungs measure
     * @param rungs where the measured and recovered rungs run ({@link AccuracyRungs#LOCAL}: on {@code threads} threads here)
     * @param stop  ends the rungs' batches early, and abandons recovered-rung fine-tunes under way (see {@link ParallelEvaluator})
     */
    public static SearchBackends of(ModelHandle model, SearchSpace space, EvaluatorSpec spec, DataSplits splits, String device,
                                    Objective quality, int batch, int threads, boolean strict, Progress progress, StopRequest stop, AccuracyRungs rungs) {
        HardwareProfile profile = Profiles.load(device);
        if (strict) checkBits(space, profile);
        CostModel costModel = CostModel.of(model.graph(), profile);
        Function<CompressionPlan, Map<String, Double>> costs = plan -> costModel.objectives(plan, batch);
        var images = splits.calibration().head(spec.measuredImages());
        Images train = null;
        if (spec.recovery() != null) {
            var r = spec.recovery();
            train = splits.trainHead(r.steps() * r.batch());
            warnIfTooLittleTrainingData(spec, r, train.count(), splits.description(), progress);
        }
        var opened = rungs.open(new AccuracyRungs.Inputs(model, spec, quality, images, train, threads, costs, stop));
        Promoter promoter = opened.recovered() == null ? Promoter.NONE : new RecoveryPromoter(opened.recovered(), spec.recovery(), quality);
        return new SearchBackends(opened.measured(), opened.recovered(), costs, promoter, Profiles.sha256(device), spec.screenDrop(),
                spec.evaluatedBy("predicted from the sensitivity table, screen drop " + spec.screenDrop()));
    }

    /**
     * Passes over the same training images past which a recovery mostly memorises them; the shipped thorough rung
     * makes three over the 55,000-image split, and with only the embedded data it would make 55 over 3,000.
     */
    static final double MAX_RECOVERY_PASSES = 4;

    /** One line at a run's start when the recovered rung asks for far more training images than the data holds. */
    static void warnIfTooLittleTrainingData(EvaluatorSpec spec, EvaluatorSpec.Recovery r, int trainImages,
                                            dev.squeeze.data.DataSplits.Description data, Progress progress) {
        long asked = (long) r.steps() * r.batch();
        double passes = asked / (double) Math.max(1, trainImages);
        if (passes <= MAX_RECOVERY_PASSES) return;
        progress.log(String.format("note: %s's recovered rung fine-tunes on %,d images (%,d steps of %d) but the %s data's train split "
                        + "holds %,d, so each recovery goes over the same images %.0f times and reads optimistic; for Fashion-MNIST's "
                        + "60k train split: apt-get install %s, or --data DIR with its four .gz files",
                spec.source(), asked, r.steps(), r.batch(), data.source(), trainImages, passes, dev.squeeze.data.FashionMnist.PACKAGE));
    }

    /** The space with prune ratios aligned to the device (when it asks for that). */
    public static SearchSpace aligned(SearchSpace space, dev.squeeze.model.LayerGraph graph, String device) {
        if (!space.alignToDevice()) return space;
        int align = Profiles.load(device).pruningAlign(); // heads are not padded
        return space.alignedTo(graph, layer -> graph.prunableUnit(layer) == dev.squeeze.model.PrunableUnit.HEADS ? 1 : align);
    }

    /** {@code strict: true}: every bit-width in the space must be one the device can store and run. */
    static void checkBits(SearchSpace space, HardwareProfile profile) {
        for (Knob k : space.knobs()) {
            var supported = switch (k.kind()) {
                case WEIGHT_BITS -> profile.weightBits();
                case ACT_BITS -> profile.activationBits();
                default -> null;
            };
            if (supported == null) continue;
            for (double v : k.values()) {
                if (!supported.contains((int) v)) {
                    throw new SqueezeException(space.source() + ": " + k.label() + " value " + (int) v + " cannot run on " + profile.name()
                            + " (it runs " + k.kind().key() + " " + supported + "); remove it from the space or set strict: false");
                }
            }
        }
    }

    /** The measured rung alone (baselines, the sensitivity table). */
    public PlanEvaluator measured() {
        return measured;
    }

    /** The predicted and measured rungs together, for the search. */
    public PlanEvaluator ladder(SensitivityTable table, SearchSpace space, double baselineAccuracy) {
        return new LadderEvaluator(measured, table, space, screenDrop, costs, predictedBy);
    }

    /** Wall time spent evaluating accuracy (measured and recovered rungs) so far. */
    public double evaluatingSeconds() {
        return measured.evaluatingSeconds() + (recovered == null ? 0 : recovered.evaluatingSeconds());
    }

    /** A plan's cost objectives on the device ({@code latency_ms}, ...), exactly as the rungs add them: cheap and thread-safe. */
    public Function<CompressionPlan, Map<String, Double>> costs() {
        return costs;
    }

    public Promoter promoter() {
        return promoter;
    }

    public String deviceSha256() {
        return deviceSha256;
    }

    @Override
    public void close() {
        measured.close();
        if (recovered != null) recovered.close();
    }
}
