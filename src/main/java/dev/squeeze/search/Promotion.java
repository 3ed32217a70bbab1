package dev.squeeze.search;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.Promoter;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Fronts;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The per-generation step that raises plans near the front to the promoter's fidelity (the recovered rung), within
 * the promoter's budget for the generation.
 *
 * <p>Candidates are the measured trials no trial dominates, constraints ignored (a plan that needs only fine-tuning to
 * meet an accuracy limit must get its chance). Plans that lost almost nothing gain nothing from fine-tuning and plans
 * that lost more than 15 points are rarely recovered in a few steps, so candidates are those in between. They are
 * spread evenly along the job's first cost objective (the middles of n equal slices, so two promotions go to the
 * quartiles, not the extremes): fine-tuning restores what pruning took, so the cheapest plans are the ones their
 * measured accuracy understates most, and spread by accuracy half the budget went to plans that had little to recover
 * (fashion-cnn on raspberry-pi-4: +0.3 points for a plan that had lost 2.9 against +1.7 to +10.5 for pruned ones).
 */
final class Promotion {
    private final List<Objective> objectives;
    private final Promoter promoter;
    private final double baselineAccuracy;

    Promotion(List<Objective> objectives, Promoter promoter, double baselineAccuracy) {
        this.objectives = List.copyOf(objectives);
        this.promoter = promoter;
        this.baselineAccuracy = baselineAccuracy;
    }

    /** Promotes after {@code generation}: plans promoted before (this run or the cache) are reused, the rest evaluated as one batch. */
    void after(TrialBook book, int generation) {
        int budget = promoter.budget(generation);
        if (budget <= 0) return;
        List<Trial> all = book.all();
        Objective quality = Objective.qualityOf(objectives);
        Objective cost = objectives.stream().filter(o -> o != quality).findFirst().orElse(quality);
        List<Trial> pool = all.stream()
                .filter(t -> t.fidelity() == Fidelity.MEASURED)
                .filter(t -> { // on the 0-to-1 scale, where a KL divergence's drop reads like an accuracy's
                    double drop = quality.toUnit(baselineAccuracy) - quality.toUnit(t.value(quality));
                    return drop > 0.005 && drop <= 0.15;
                })
                .filter(t -> all.stream().noneMatch(o -> Fronts.dominates(o, t, objectives)))
                .sorted(Comparator.comparingDouble((Trial t) -> cost.maximize() ? -t.value(cost) : t.value(cost)).thenComparing(Trial::id))
                .toList();
        if (pool.isEmpty()) return;
        var candidates = new ArrayList<Trial>();
        int n = Math.min(budget, pool.size());
        for (int i = 0; i < n; i++) {
            Trial t = pool.get((int) ((i + 0.5) * pool.size() / n));
            if (!candidates.contains(t)) candidates.add(t);
        }
        var todo = new ArrayList<Trial>();
        for (Trial t : candidates) {
            if (!book.reuse(t.plan(), promoter.fidelity(), generation)) todo.add(t);
        }
        if (todo.isEmpty()) return;
        List<Evaluation> results = promoter.promote(todo);
        for (int i = 0; i < todo.size(); i++) book.upgrade(todo.get(i).plan(), results.get(i), generation);
    }
}
