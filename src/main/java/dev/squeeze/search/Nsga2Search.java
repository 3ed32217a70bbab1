package dev.squeeze.search;

import dev.squeeze.StopRequest;
import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Fronts;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;
import dev.squeeze.spaces.Knob;
import dev.squeeze.spaces.SearchSpace;
import io.jenetics.Genotype;
import io.jenetics.IntegerChromosome;
import io.jenetics.IntegerGene;
import io.jenetics.Mutator;
import io.jenetics.Phenotype;
import io.jenetics.engine.Engine;
import io.jenetics.engine.EvolutionResult;
import io.jenetics.engine.Limits;
import io.jenetics.ext.moea.NSGA2Selector;
import io.jenetics.util.ISeq;
import io.jenetics.util.RandomRegistry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * NSGA-II over a {@link SearchSpace} on Jenetics: one {@link IntegerGene} per knob holding an index into
 * its values, constrained domination, a seeded first population, an evaluation cache, and a stream of
 * generations that stops on generation count, time budget or hypervolume stagnation. The same settings,
 * seed, evaluator results and seeds give the same trials in the same order (the engine runs on one
 * thread; evaluation batches may fan out inside the {@link PlanEvaluator}).
 */
public final class Nsga2Search {
    private final SearchSpace space;
    private final SearchSettings settings;
    private final double[] hvReference;
    private final StopRequest stopRequest;

    /** A search that runs until its settings stop it. */
    public Nsga2Search(SearchSpace space, SearchSettings settings, double[] hvReference) {
        this(space, settings, hvReference, new StopRequest());
    }

    /**
     * @param hvReference objective values of the reference point for hypervolume (same order as the
     *                    objectives): usually the uncompressed model's costs and its accuracy minus 10 points
     * @param stopRequest also ends the run: checked after every generation, and a batch it ends mid-way (the evaluator
     *                    throws {@link StopRequest.Stopped}) is left out; the outcome holds every trial recorded before
     */
    public Nsga2Search(SearchSpace space, SearchSettings settings, double[] hvReference, StopRequest stopRequest) {
        if (space.genes().isEmpty()) throw new IllegalArgumentException("the space has no knob with more than one value: nothing to search");
        this.space = space;
        this.settings = settings;
        this.hvReference = hvReference.clone();
        this.stopRequest = stopRequest;
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
     * @param previous    trials of an interrupted run being resumed (not evaluated again)
     * @param cache       evaluations of earlier runs by plan key (read and extended)
     * @param seeds       plans for the first population (baselines, sensitivity-guided plans)
     * @param onTrial     called once per newly recorded trial, in order (append it to trials.jsonl)
     * @param onGeneration called after each generation
     */
    public Outcome run(PlanEvaluator evaluator, double baselineAccuracy, Collection<Trial> previous,
                       Map<String, Evaluation> cache, List<CompressionPlan> seeds,
                       Consumer<Trial> onTrial, Consumer<Generation> onGeneration) {
        return run(evaluator, dev.squeeze.evaluators.Promoter.NONE, baselineAccuracy, previous, cache, seeds, onTrial, onGeneration);
    }

    /** As above, promoting plans near the front to a higher fidelity after every generation. */
    public Outcome run(PlanEvaluator evaluator, dev.squeeze.evaluators.Promoter promoter, double baselineAccuracy, Collection<Trial> previous,
                       Map<String, Evaluation> cache, List<CompressionPlan> seeds,
                       Consumer<Trial> onTrial, Consumer<Generation> onGeneration) {
        TrialBook book = new TrialBook(evaluator, settings.constraints(), baselineAccuracy, previous, cache, onTrial);
        List<Knob> genes = space.genes();
        var generations = new ArrayList<Generation>();
        String[] stoppedBecause = {"generations"};
        boolean[] complete = {true};
        RandomRegistry.using(new Random(settings.seed()), random -> {
            io.jenetics.engine.Evaluator<IntegerGene, ConstrainedVec> batch = population -> evaluate(population, book);
            var engine = new Engine.Builder<IntegerGene, ConstrainedVec>(batch, this::randomGenotype)
                    .executor(Runnable::run) // deterministic: parallelism lives in the evaluator's batch
                    .populationSize(settings.population())
                    .offspringFraction(0.5)
                    .alterers(new KnobCrossover<>(0.9), new Mutator<>(1.0 / genes.size()))
                    .selector(NSGA2Selector.ofVec())
                    .build();
            var initial = seeds.stream().limit(settings.population()).map(this::genotypeOf).toList();
            long start = System.nanoTime();
            Predicate<Object> timeLimit = settings.timeBudget() == null ? x -> true : Limits.byExecutionTime(settings.timeBudget());
            int[] lastEvaluated = {0}, lastCached = {0};
            double[] bestHv = {0};
            int[] sinceGain = {0};
            try {
                engine.stream(initial)
                        .limit(r -> {
                            long gen = r.generation() - 1; // Jenetics counts from 1
                            promote(book, promoter, (int) gen, baselineAccuracy);
                            double hv = Fronts.hypervolume(book.all(), settings.objectives(), hvReference);
                            var g = new Generation((int) gen, book.evaluatedThisRun() - lastEvaluated[0],
                                    book.cachedThisRun() - lastCached[0], book.all().size(), hv,
                                    bestFeasible(book.all()), (System.nanoTime() - start) / 1e9, populationIds(r, book));
                            lastEvaluated[0] = book.evaluatedThisRun();
                            lastCached[0] = book.cachedThisRun();
                            generations.add(g);
                            onGeneration.accept(g);
                            if (hv > bestHv[0] + 1e-12) {
                                bestHv[0] = hv;
                                sinceGain[0] = 0;
                            } else {
                                sinceGain[0]++;
                            }
                            if (gen + 1 >= settings.generations()) {
                                stoppedBecause[0] = "generations";
                                return false;
                            }
                            if (!timeLimit.test(r)) {
                                stoppedBecause[0] = "time budget";
                                return false;
                            }
                            if (settings.stagnation() > 0 && sinceGain[0] >= settings.stagnation()) {
                                stoppedBecause[0] = "hypervolume stagnation (" + settings.stagnation() + " generations without gain)";
                                return false;
                            }
                            if (stopRequest.requested()) {
                                stoppedBecause[0] = stopRequest.reason().orElseThrow();
                                complete[0] = false;
                                return false;
                            }
                            return true;
                        })
                        .forEach(r -> { });
            } catch (RuntimeException e) {
                // a batch or a promotion the request ended: Jenetics hands it on wrapped
                stoppedBecause[0] = StopRequest.Stopped.in(e).orElseThrow(() -> e).reason();
                complete[0] = false;
            }
        });
        List<Trial> all = book.all();
        List<Trial> front = Fronts.feasible(all, settings.objectives());
        return new Outcome(all, front, List.copyOf(generations), stoppedBecause[0], complete[0]);
    }

    private ISeq<Phenotype<IntegerGene, ConstrainedVec>> evaluate(io.jenetics.util.Seq<Phenotype<IntegerGene, ConstrainedVec>> population,
                                                                  TrialBook book) {
        // Jenetics hands over the whole population; the ones without fitness are evaluated as one batch.
        var todo = population.stream().filter(Phenotype::nonEvaluated).toList();
        List<CompressionPlan> plans = todo.stream().map(p -> space.plan(indices(p.genotype()))).toList();
        int generation = (int) todo.stream().mapToLong(Phenotype::generation).max().orElse(1) - 1;
        List<Trial> trials = book.lookup(plans, Math.max(0, generation));
        var fitness = new java.util.IdentityHashMap<Phenotype<IntegerGene, ConstrainedVec>, ConstrainedVec>();
        for (int i = 0; i < todo.size(); i++) fitness.put(todo.get(i), fitness(trials.get(i)));
        return population.stream().map(p -> p.isEvaluated() ? p : p.withFitness(fitness.get(p))).collect(ISeq.toISeq());
    }

    /**
     * Promotes up to the budget's worth of plans from the non-dominated set of all trials, constraints
     * ignored (a plan that needs only fine-tuning to meet an accuracy limit must get its chance). Plans
     * that lost almost nothing gain nothing from fine-tuning and plans that lost more than 15 points are
     * rarely recovered in a few steps, so candidates are those in between. They are spread evenly along the job's first
     * cost objective (the middles of n equal slices, so two promotions go to the quartiles, not the extremes): fine-tuning
     * restores what pruning took, so the cheapest plans are the ones their measured accuracy understates most, and spread
     * by accuracy half the budget went to plans that had little to recover (fashion-cnn on raspberry-pi-4: +0.3 points
     * for a plan that had lost 2.9 against +1.7 to +10.5 for pruned ones).
     */
    private void promote(TrialBook book, dev.squeeze.evaluators.Promoter promoter, int generation, double baselineAccuracy) {
        int budget = promoter.budget(generation);
        if (budget <= 0) return;
        List<Trial> all = book.all();
        Objective cost = settings.objectives().stream().filter(o -> o != Objective.ACCURACY).findFirst().orElse(Objective.ACCURACY);
        List<Trial> pool = all.stream()
                .filter(t -> t.fidelity().equals("measured"))
                .filter(t -> {
                    double drop = baselineAccuracy - t.value(Objective.ACCURACY);
                    return drop > 0.005 && drop <= 0.15;
                })
                .filter(t -> all.stream().noneMatch(o -> dev.squeeze.results.Fronts.dominates(o, t, settings.objectives())))
                .sorted(java.util.Comparator.comparingDouble((Trial t) -> cost.maximize() ? -t.value(cost) : t.value(cost)).thenComparing(Trial::id))
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

    private ConstrainedVec fitness(Trial t) {
        double[] v = new double[settings.objectives().size()];
        for (int i = 0; i < v.length; i++) {
            Objective o = settings.objectives().get(i);
            v[i] = o.maximize() ? t.value(o) : -t.value(o);
        }
        return new ConstrainedVec(v, t.violation());
    }

    private Map<String, Double> bestFeasible(List<Trial> trials) {
        var best = new java.util.LinkedHashMap<String, Double>();
        for (Objective o : settings.objectives()) {
            trials.stream().filter(Trial::feasible).map(t -> t.value(o))
                    .reduce((a, b) -> o.better(a, b) ? a : b).ifPresent(v -> best.put(o.key(), v));
        }
        return best;
    }

    private List<String> populationIds(EvolutionResult<IntegerGene, ConstrainedVec> r, TrialBook book) {
        var plans = r.population().stream().map(p -> space.plan(indices(p.genotype()))).toList();
        var byKey = new java.util.HashMap<String, String>();
        for (Trial t : book.all()) byKey.put(t.plan().key(), t.id());
        return plans.stream().map(p -> byKey.getOrDefault(p.key(), "?")).toList();
    }

    /** One single-gene chromosome per knob, each with its own index range [0, values) (Jenetics ranges exclude max). */
    private Genotype<IntegerGene> randomGenotype() {
        var chromosomes = new ArrayList<IntegerChromosome>();
        for (Knob k : space.genes()) chromosomes.add(IntegerChromosome.of(0, k.values().size(), 1));
        return Genotype.of(chromosomes);
    }

    private Genotype<IntegerGene> genotypeOf(CompressionPlan plan) {
        int[] idx = space.indicesOf(plan);
        var chromosomes = new ArrayList<IntegerChromosome>();
        List<Knob> knobs = space.genes();
        for (int i = 0; i < idx.length; i++) {
            chromosomes.add(IntegerChromosome.of(IntegerGene.of(idx[i], 0, knobs.get(i).values().size())));
        }
        return Genotype.of(chromosomes);
    }

    static int[] indices(Genotype<IntegerGene> g) {
        int[] idx = new int[g.length()];
        for (int i = 0; i < idx.length; i++) idx[i] = g.get(i).gene().intValue();
        return idx;
    }
}
