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
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * How good the search is on a space small enough to enumerate: the exhaustive front's hypervolume against the
 * fronts of squeeze's search (NSGA-II with model-screened offspring), of NSGA-II alone and of random search, each
 * read after the same numbers of evaluations (an anytime curve) over several seeds. Every plan is evaluated once
 * (exhaustively, in batches) and the searches read those results, so the comparison costs one enumeration.
 */
public final class SearchQuality {
    private SearchQuality() {}

    /** The methods compared, in the order they are reported. */
    public static final List<String> METHODS = List.of("squeeze", "NSGA-II", "random");

    /**
     * One method on one seed: its share of the exhaustive hypervolume after each checkpoint's evaluations.
     *
     * @param evaluations distinct plans it evaluated by the end (at most the largest checkpoint)
     */
    public record SeedResult(long seed, int evaluations, List<Double> shares) {}

    /** One method over every seed, with the median and the worst seed at each checkpoint. */
    public record MethodResult(String method, List<SeedResult> seeds, List<Double> median, List<Double> worst) {}

    /**
     * @param checkpoints evaluation counts at which the fronts are read (5%, 10% and 20% of the space for a 20% budget)
     * @param priorEvaluations squeeze's evaluations before its first generation (the sensitivity table), counted in its budget
     * @param methods     in {@link #METHODS} order
     */
    public record Result(long plans, double exhaustiveHypervolume, List<Integer> checkpoints, int priorEvaluations, List<MethodResult> methods) {
        public MethodResult method(String name) {
            return methods.stream().filter(m -> m.method().equals(name)).findFirst().orElseThrow();
        }
    }

    /** What the searches are given besides the space and the enumerated evaluations. */
    public record Setup(List<Objective> objectives, double baselineAccuracy, double[] reference, int population, int generations,
                        List<CompressionPlan> seedPlans, Function<CompressionPlan, Map<String, Double>> costs,
                        ToDoubleFunction<CompressionPlan> prior, int priorEvaluations) {
        /**
         * @param prior            squeeze's accuracy prior (the sensitivity table), or null
         * @param priorEvaluations what measuring that prior cost, charged to squeeze's budget: the other methods do without it
         */
        public Setup {
            if (priorEvaluations < 0 || (prior == null && priorEvaluations != 0)) {
                throw new IllegalArgumentException("prior evaluations " + priorEvaluations + " without a prior, or negative");
            }
        }
    }

    /**
     * @param budget share of the space a search may evaluate: its front is read after a quarter, half and all of
     *               {@code floor(budget * plans)} evaluations, in the order it made them (as if it stopped there)
     * @param cache  evaluations by plan key, read and extended (a saved enumeration makes re-runs with other
     *               search settings cheap)
     */
    public static Result run(SearchSpace space, PlanEvaluator evaluator, Setup setup, double budget, List<Long> seeds,
                             Map<String, Evaluation> cache, Consumer<String> log) {
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
        double exhaustive = Fronts.hypervolume(trials(all, cache), setup.objectives(), setup.reference());
        int spend = (int) Math.floor(budget * all.size());
        List<Integer> checkpoints = List.of(spend / 4, spend / 2, spend);

        PlanEvaluator enumerated = new PlanEvaluator() {
            public List<Evaluation> evaluate(List<CompressionPlan> plans) {
                return plans.stream().map(p -> cache.get(p.key())).toList();
            }

            public String describe() {
                return "enumerated";
            }
        };
        var bySeed = new LinkedHashMap<String, List<SeedResult>>();
        METHODS.forEach(m -> bySeed.put(m, new ArrayList<>()));
        for (long seed : seeds) {
            var settings = new SearchSettings(setup.objectives(), List.of(), setup.population(), setup.generations(), null, 0, seed);
            for (boolean model : new boolean[]{true, false}) {
                // squeeze's prior was measured before its first generation: those evaluations come out of its budget
                int charged = model ? setup.priorEvaluations() : 0;
                var builder = Nsga2Search.builder(space, settings).reference(setup.reference()).limit(RunLimit.trials(Math.max(1, spend - charged)));
                if (model) builder.costs(setup.costs()).prior(setup.prior());
                List<Trial> trials = builder.build().run(enumerated, Promoter.NONE, setup.baselineAccuracy(), List.of(), new HashMap<>(),
                        setup.seedPlans(), t -> { }, g -> { }).trials();
                bySeed.get(model ? "squeeze" : "NSGA-II").add(curve(seed, trials, charged, checkpoints, setup, exhaustive));
            }
            bySeed.get("random").add(curve(seed, trials(randomPlans(all, spend, seed), cache), 0, checkpoints, setup, exhaustive));
            var line = new StringBuilder("  seed " + seed + ":");
            bySeed.forEach((m, r) -> line.append(String.format(" %s %.1f%%", m, 100 * r.get(r.size() - 1).shares().get(2))));
            log.accept(line + " of the exhaustive hypervolume after " + spend + " evaluations");
        }
        var methods = new ArrayList<MethodResult>();
        bySeed.forEach((m, r) -> methods.add(summary(m, r, checkpoints.size())));
        return new Result(all.size(), exhaustive, checkpoints, setup.priorEvaluations(), methods);
    }

    /** Hypervolume shares after each checkpoint's evaluations, the first {@code charged} of them spent before the trials. */
    private static SeedResult curve(long seed, List<Trial> trials, int charged, List<Integer> checkpoints, Setup setup, double exhaustive) {
        var shares = new ArrayList<Double>();
        for (int n : checkpoints) {
            int seen = Math.max(0, Math.min(n - charged, trials.size()));
            shares.add(Fronts.hypervolume(trials.subList(0, seen), setup.objectives(), setup.reference()) / exhaustive);
        }
        return new SeedResult(seed, Math.min(trials.size() + charged, checkpoints.get(checkpoints.size() - 1)), shares);
    }

    private static MethodResult summary(String method, List<SeedResult> seeds, int points) {
        var median = new ArrayList<Double>();
        var worst = new ArrayList<Double>();
        for (int i = 0; i < points; i++) {
            int at = i;
            double[] v = seeds.stream().mapToDouble(s -> s.shares().get(at)).toArray();
            median.add(median(v));
            worst.add(Arrays.stream(v).min().orElse(Double.NaN));
        }
        return new MethodResult(method, List.copyOf(seeds), median, worst);
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

    private static List<CompressionPlan> randomPlans(List<CompressionPlan> all, int n, long seed) {
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
            out.add(new Trial(String.format("e%05d", i++), 0, p, e.values(), Map.of(), 0, e.fidelity(), true, 0, e.worker(), e.evaluatedBy()));
        }
        return out;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
