package dev.squeeze.search;

import dev.squeeze.StopRequest;
import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.evaluators.Promoter;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Fronts;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;
import dev.squeeze.spaces.SearchSpace;
import io.jenetics.IntegerGene;
import io.jenetics.Mutator;
import io.jenetics.engine.Engine;
import io.jenetics.engine.EvolutionResult;
import io.jenetics.ext.moea.NSGA2Selector;
import io.jenetics.util.RandomRegistry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;

/**
 * NSGA-II over a {@link SearchSpace} on Jenetics.
 *
 * <p>Configuration is separate from execution: a search is built once ({@link #builder}) and each {@link #run} is a
 * stream of generations. The problem is a {@link PlanProblem} (plans through the {@link PlanCodec}, fitness the
 * objective vector with constraint violation, ranked by constrained domination, {@link ConstrainedVec}); the engine
 * selects parents and survivors with NSGA-II and makes offspring by crossover and mutation. After every generation
 * come its explicit steps: promotion to the next fidelity ({@link Promotion}), the summary (a {@link Generation},
 * reported), then the {@link RunLimit}s, the first of which to be reached ends the run and says why.
 *
 * <p>The same settings, seed, evaluator results and seeds give the same trials in the same order: the engine runs on one
 * thread (evaluation batches may fan out inside the {@link PlanEvaluator}).
 */
public final class Nsga2Search {
    private final SearchSpace space;
    private final PlanCodec codec;
    private final SearchSettings settings;
    private final double[] hvReference;
    private final StopRequest stopRequest;
    private final RunLimit limit;

    private Nsga2Search(Builder b) {
        this.space = b.space;
        this.codec = PlanCodec.of(b.space);
        this.settings = b.settings;
        this.hvReference = b.reference.clone();
        this.stopRequest = b.stopRequest;
        RunLimit own = RunLimit.of(b.settings);
        this.limit = (b.limit == null ? own : own.or(b.limit)).or(RunLimit.stopRequest(b.stopRequest));
    }

    /** A search of {@code space} run as {@code settings} say; {@link Builder#reference} is required. */
    public static Builder builder(SearchSpace space, SearchSettings settings) {
        return new Builder(space, settings);
    }

    /** Configures a {@link Nsga2Search}. */
    public static final class Builder {
        private final SearchSpace space;
        private final SearchSettings settings;
        private double[] reference;
        private StopRequest stopRequest = new StopRequest();
        private RunLimit limit;

        private Builder(SearchSpace space, SearchSettings settings) {
            this.space = space;
            this.settings = settings;
        }

        /**
         * Objective values of the reference point for hypervolume (same order as the objectives): usually the
         * uncompressed model's costs and its accuracy minus 10 points.
         */
        public Builder reference(double[] reference) {
            this.reference = reference.clone();
            return this;
        }

        /**
         * Also ends the run: checked after every generation, and a batch it ends mid-way (the evaluator throws
         * {@link StopRequest.Stopped}) is left out; the outcome holds every trial recorded before.
         */
        public Builder stopRequest(StopRequest stopRequest) {
            this.stopRequest = stopRequest;
            return this;
        }

        /** A limit beside the settings' own (generations, time budget, stagnation) and the stop request. */
        public Builder limit(RunLimit limit) {
            this.limit = this.limit == null ? limit : this.limit.or(limit);
            return this;
        }

        public Nsga2Search build() {
            if (reference == null) throw new IllegalStateException("a search needs its hypervolume reference point");
            if (reference.length != settings.objectives().size()) {
                throw new IllegalArgumentException("the reference has " + reference.length + " values for " + settings.objectives().size() + " objectives");
            }
            return new Nsga2Search(this);
        }
    }

    /** What one generation did, for progress reporting and the checkpoint. */
    public record Generation(int generation, int evaluatedNew, int fromCache, int trials, double hypervolume,
                             Map<String, Double> bestFeasible, double seconds, List<String> population) {}

    /**
     * Everything the run produced; {@code complete} is false when a stop request ended it before its own limits
     * (generations, time budget, stagnation), so resuming it would go on.
     */
    public record Outcome(List<Trial> trials, List<Trial> front, List<Generation> generations, String stoppedBecause, boolean complete) {
        /** A run a stop request ended before its search began: the trials it resumed from, if any. */
        public static Outcome stoppedBefore(List<Trial> previous, List<Objective> objectives, String reason) {
            return new Outcome(List.copyOf(previous), Fronts.feasible(previous, objectives), List.of(), reason, false);
        }
    }

    /**
     * Runs the search.
     *
     * @param promoter     raises plans near the front to a higher fidelity after every generation ({@link Promoter#NONE}: never)
     * @param previous     trials of an interrupted run being resumed (not evaluated again)
     * @param cache        evaluations of earlier runs by plan key (read and extended)
     * @param seeds        plans for the first population (baselines, sensitivity-guided plans)
     * @param onTrial      called once per newly recorded trial, in order (append it to trials.jsonl)
     * @param onGeneration called after each generation
     */
    public Outcome run(PlanEvaluator evaluator, Promoter promoter, double baselineAccuracy, Collection<Trial> previous,
                       Map<String, Evaluation> cache, List<CompressionPlan> seeds,
                       Consumer<Trial> onTrial, Consumer<Generation> onGeneration) {
        var run = new Run(new TrialBook(evaluator, settings.constraints(), baselineAccuracy, previous, cache, onTrial),
                new Promotion(settings.objectives(), promoter, baselineAccuracy), baselineAccuracy, onGeneration);
        RunLimit.Stop stop = run.execute(seeds);
        List<Trial> all = run.book.all();
        return new Outcome(all, Fronts.feasible(all, settings.objectives()), List.copyOf(run.generations), stop.reason(), stop.complete());
    }

    /** One run's state: its trials and the generations so far. */
    private final class Run {
        private final TrialBook book;
        private final Promotion promotion;
        private final double baselineAccuracy;
        private final Consumer<Generation> onGeneration;
        private final List<Generation> generations = new ArrayList<>();
        private long start;
        private int evaluatedBefore, cachedBefore;

        Run(TrialBook book, Promotion promotion, double baselineAccuracy, Consumer<Generation> onGeneration) {
            this.book = book;
            this.promotion = promotion;
            this.baselineAccuracy = baselineAccuracy;
            this.onGeneration = onGeneration;
        }

        RunLimit.Stop execute(List<CompressionPlan> seeds) {
            var problem = new PlanProblem(codec, this::fitness);
            var initial = seeds.stream().limit(settings.population()).map(codec::encode).toList();
            return RandomRegistry.with(new Random(settings.seed()), random -> {
                Engine<IntegerGene, ConstrainedVec> engine = new Engine.Builder<>(problem.evaluator(), codec.encoding())
                        .executor(Runnable::run) // deterministic: parallelism lives in the evaluator's batch
                        .populationSize(settings.population())
                        .offspringFraction(0.5)
                        .alterers(new KnobCrossover<>(0.9), new Mutator<>(1.0 / codec.knobs().size()))
                        .selector(NSGA2Selector.ofVec())
                        .build();
                start = System.nanoTime();
                try {
                    return engine.stream(initial)
                            .map(this::afterGeneration)
                            .map(g -> limit.test(generations))
                            .flatMap(Optional::stream)
                            .findFirst().orElseThrow();
                } catch (RuntimeException e) { // a batch or a promotion the request ended: Jenetics hands it on wrapped
                    return new RunLimit.Stop("stop-request", StopRequest.Stopped.in(e).orElseThrow(() -> e).reason(), false);
                }
            });
        }

        private List<ConstrainedVec> fitness(List<CompressionPlan> plans, int generation) {
            return book.lookup(plans, generation).stream().map(this::fitness).toList();
        }

        private ConstrainedVec fitness(Trial t) {
            double[] v = new double[settings.objectives().size()];
            for (int i = 0; i < v.length; i++) {
                Objective o = settings.objectives().get(i);
                v[i] = o.maximize() ? t.value(o) : -t.value(o);
            }
            return new ConstrainedVec(v, t.violation());
        }

        /** The steps after a generation: promotion, then its summary, reported. */
        private Generation afterGeneration(EvolutionResult<IntegerGene, ConstrainedVec> r) {
            int gen = (int) r.generation() - 1; // Jenetics counts from 1
            promotion.after(book, gen);
            List<Trial> all = book.all();
            var g = new Generation(gen, book.evaluatedThisRun() - evaluatedBefore, book.cachedThisRun() - cachedBefore, all.size(),
                    Fronts.hypervolume(all, settings.objectives(), hvReference), bestFeasible(all), (System.nanoTime() - start) / 1e9,
                    populationIds(r, all));
            evaluatedBefore = book.evaluatedThisRun();
            cachedBefore = book.cachedThisRun();
            generations.add(g);
            onGeneration.accept(g);
            return g;
        }

        private Map<String, Double> bestFeasible(List<Trial> trials) {
            var best = new LinkedHashMap<String, Double>();
            for (Objective o : settings.objectives()) {
                trials.stream().filter(Trial::feasible).map(t -> t.value(o))
                        .reduce((a, b) -> o.better(a, b) ? a : b).ifPresent(v -> best.put(o.key(), v));
            }
            return best;
        }

        private List<String> populationIds(EvolutionResult<IntegerGene, ConstrainedVec> r, List<Trial> all) {
            var byKey = new HashMap<String, String>();
            for (Trial t : all) byKey.put(t.plan().key(), t.id());
            return r.population().stream().map(p -> byKey.getOrDefault(codec.decode(p.genotype()).key(), "?")).toList();
        }
    }
}
