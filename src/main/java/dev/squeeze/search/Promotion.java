package dev.squeeze.search;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.Promoter;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Constraint;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Fronts;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The per-generation step that raises plans to the promoter's fidelity (the recovered rung), within the promoter's
 * budget for the generation, choosing the plans whose recovery is expected to add most to the front.
 *
 * <p>What a plan's measured accuracy says about its recovered one depends on the network: fashion-cnn's pruned plans
 * read a few points down before fine-tuning, fashion-resnet's read 0.10 (chance, with half of every group pruned; 0.30
 * with its batch norms re-estimated) and recover to about 1.1 points below the baseline in 600 steps. So a plan is judged by a
 * second {@link AccuracySurrogate}, of recovered accuracy, fitted to the recoveries so far, whose prior is what the
 * plan's quantisation alone is predicted to cost (fine-tuning restores what pruning took, quantisation's loss mostly
 * stays). Every trial not yet recovered, whatever its rung, is a candidate; candidates are ranked by expected
 * hypervolume gain against the feasible front ({@link HypervolumeGain}, costs exact, accuracy from that model), and
 * chosen greedily, each joining the front at its predicted accuracy before the next is scored, so one generation's
 * recoveries spread along the front. Before any recovery the model's spread is wide, so the first promotions go to
 * cheap plans whose quantisation costs little; each recovery then teaches it what pruning leaves behind.
 * Deterministic: ties go to the earlier trial.
 */
final class Promotion {
    private final List<Objective> objectives;
    private final List<Constraint> constraints;
    private final Promoter promoter;
    private final double baselineAccuracy;
    private final double[] reference;
    private final double exploration;
    private final Function<CompressionPlan, AccuracySurrogate.Point> point;
    private final Objective quality;

    /**
     * @param point a plan as the recovered-accuracy model sees it: knob positions, and as prior the accuracy its
     *              quantisation alone is predicted to keep (NaN when there is no prior)
     */
    Promotion(List<Objective> objectives, List<Constraint> constraints, Promoter promoter, double baselineAccuracy,
              double[] reference, double exploration, Function<CompressionPlan, AccuracySurrogate.Point> point) {
        this.objectives = List.copyOf(objectives);
        this.constraints = List.copyOf(constraints);
        this.promoter = promoter;
        this.baselineAccuracy = baselineAccuracy;
        this.reference = reference.clone();
        this.exploration = exploration;
        this.point = point;
        this.quality = Objective.qualityOf(objectives);
    }

    /** Promotes after {@code generation}: plans promoted before (this run or the cache) are reused, the rest evaluated as one batch. */
    void after(TrialBook book, int generation) {
        int budget = promoter.budget(generation);
        if (budget <= 0) return;
        List<Trial> all = book.all();
        List<Trial> recovered = all.stream().filter(t -> t.fidelity() == Fidelity.RECOVERED).toList();
        AccuracySurrogate model = AccuracySurrogate.fit(recovered.stream().map(t -> point.apply(t.plan())).toList(),
                recovered.stream().mapToDouble(t -> quality.toUnit(t.value(quality))).toArray());
        List<Trial> pool = all.stream() // one trial per plan: the latest, so a recovered plan is not in the pool
                .filter(t -> t.fidelity() != Fidelity.RECOVERED)
                .filter(t -> t.fidelity() != Fidelity.MEASURED // a measured plan that lost almost nothing gains nothing
                        || quality.toUnit(baselineAccuracy) - quality.toUnit(t.value(quality)) > 0.005)
                .toList();
        var gain = HypervolumeGain.of(objectives, reference, constraints, baselineAccuracy, exploration,
                Fronts.feasible(all, objectives).stream().map(Trial::values).toList());
        List<Trial> candidates = gain.chooseGreedily(pool, this::costs, t -> model.predict(point.apply(t.plan())), budget).chosen().stream()
                .takeWhile(c -> !c.addsNothing()).map(HypervolumeGain.Choice::item).toList();
        var todo = new ArrayList<Trial>();
        for (Trial t : candidates) {
            if (!book.reuse(t.plan(), promoter.fidelity(), generation)) todo.add(t);
        }
        if (todo.isEmpty()) return;
        List<Evaluation> results = promoter.promote(todo);
        for (int i = 0; i < todo.size(); i++) book.upgrade(todo.get(i).plan(), results.get(i), generation);
    }

    private Map<String, Double> costs(Trial t) {
        var costs = new LinkedHashMap<String, Double>();
        for (Objective o : objectives) if (o != quality) costs.put(o.key(), t.value(o));
        return costs;
    }
}
