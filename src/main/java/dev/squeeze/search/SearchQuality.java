package dev.squeeze.search;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.evaluators.Promoter;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Fronts;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;
import dev.squeeze.spaces.Knob;
import dev.squeeze.spaces.SearchSpace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * How good the search is on a space small enough to enumerate: the exhaustive front's hypervolume
 * against NSGA-II's and random search's with the same evaluation count, over several seeds. Every plan
 * is evaluated once (exhaustively, in batches) and both searches read those results, so the comparison
 * costs one enumeration.
 */
public final class SearchQuality {
    private SearchQuality() {}

    public record SeedResult(long seed, int evaluations, double nsgaHypervolume, double randomHypervolume) {}

    public record Result(long plans, double exhaustiveHypervolume, List<SeedResult> seeds,
                         double medianNsgaRatio, double medianRandomRatio, double medianEvaluationShare) {}

    /**
     * @param budget share of the space NSGA-II may evaluate: its front is taken over its first
     *               {@code floor(budget * plans)} evaluations, in the order it made them (as if it stopped there)
     * @param cache  evaluations by plan key, read and extended (a saved enumeration makes re-runs with other
     *               search settings cheap)
     */
    public static Result run(SearchSpace space, PlanEvaluator evaluator, List<Objective> objectives, double baselineAccuracy,
                             double[] reference, int population, int generations, double budget, List<Long> seeds,
                             List<CompressionPlan> seedPlans, Map<String, Evaluation> cache, java.util.function.Consumer<String> log) {
        List<CompressionPlan> all = enumerate(space);
        if (all.size() > 5000) throw new IllegalArgumentException("the space has " + all.size() + " plans; enumerate at most 5,000");
        List<CompressionPlan> missing = all.stream().filter(p -> !cache.containsKey(p.key())).toList();
        log.accept("evaluating " + missing.size() + " of " + all.size() + " plans (the rest are cached) ...");
        int batch = 64;
        for (int from = 0; from < missing.size(); from += batch) {
            List<CompressionPlan> part = missing.subList(from, Math.min(missing.size(), from + batch));
            List<Evaluation> ev = evaluator.evaluate(part);
            for (int i = 0; i < part.size(); i++) cache.put(part.get(i).key(), ev.get(i));
            log.accept(String.format("  %d/%d", Math.min(missing.size(), from + batch), missing.size()));
        }
        double exhaustive = Fronts.hypervolume(trials(all, cache), objectives, reference);

        PlanEvaluator cached = new PlanEvaluator() {
            public List<Evaluation> evaluate(List<CompressionPlan> plans) {
                return plans.stream().map(p -> cache.get(p.key())).toList();
            }

            public String describe() {
                return "enumerated";
            }
        };
        var results = new ArrayList<SeedResult>();
        for (long seed : seeds) {
            var settings = new SearchSettings(objectives, List.of(), population, generations, null, 0, seed);
            var outcome = Nsga2Search.builder(space, settings).reference(reference).build().run(cached, Promoter.NONE, baselineAccuracy, List.of(),
                    new HashMap<>(), seedPlans, t -> { }, g -> { });
            List<Trial> spent = outcome.trials().subList(0, Math.min(outcome.trials().size(), (int) Math.floor(budget * all.size())));
            int evaluations = spent.size();
            double nsga = Fronts.hypervolume(spent, objectives, reference);
            double random = Fronts.hypervolume(trials(randomPlans(space, all, evaluations, seed), cache), objectives, reference);
            results.add(new SeedResult(seed, evaluations, nsga, random));
            log.accept(String.format("  seed %d: %d evaluations, NSGA-II %.4f, random %.4f, exhaustive %.4f", seed, evaluations, nsga, random, exhaustive));
        }
        return new Result(all.size(), exhaustive, results,
                median(results.stream().mapToDouble(r -> r.nsgaHypervolume() / exhaustive).toArray()),
                median(results.stream().mapToDouble(r -> r.randomHypervolume() / exhaustive).toArray()),
                median(results.stream().mapToDouble(r -> (double) r.evaluations() / all.size()).toArray()));
    }

    static List<CompressionPlan> enumerate(SearchSpace space) {
        List<Knob> genes = space.genes();
        var plans = new ArrayList<CompressionPlan>();
        int[] idx = new int[genes.size()];
        while (true) {
            plans.add(space.plan(idx.clone()));
            int i = 0;
            while (i < idx.length && ++idx[i] == genes.get(i).values().size()) idx[i++] = 0;
            if (i == idx.length) return plans;
            if (plans.size() > 5000) return plans;
        }
    }

    private static List<CompressionPlan> randomPlans(SearchSpace space, List<CompressionPlan> all, int n, long seed) {
        var r = new Random(seed);
        var picked = new LinkedHashMap<String, CompressionPlan>();
        while (picked.size() < Math.min(n, all.size())) {
            CompressionPlan p = all.get(r.nextInt(all.size()));
            picked.putIfAbsent(p.key(), p);
        }
        return List.copyOf(picked.values());
    }

    private static List<Trial> trials(List<CompressionPlan> plans, Map<String, Evaluation> cache) {
        var out = new ArrayList<Trial>();
        int i = 0;
        for (CompressionPlan p : plans) {
            Evaluation e = cache.get(p.key());
            out.add(new Trial(String.format("e%05d", i++), 0, p, e.values(), Map.of(), 0, e.fidelity(), true, 0));
        }
        return out;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
