package dev.squeeze.search;

import dev.squeeze.StopRequest;
import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.evaluators.Promoter;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Fronts;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;
import dev.squeeze.spaces.SearchSpace;
import io.jenetics.Alterer;
import io.jenetics.IntegerGene;
import io.jenetics.Mutator;
import io.jenetics.engine.Engine;
import io.jenetics.engine.EvolutionResult;
import io.jenetics.ext.moea.NSGA2Selector;
import io.jenetics.util.RandomRegistry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * NSGA-II over a {@link SearchSpace} on Jenetics, with offspring proposed by a model of accuracy.
 *
 * <p>Configuration is separate from execution: a search is built once ({@link #builder}) and each {@link #run} is a
 * stream of generations. The problem is a {@link PlanProblem} (plans through the {@link PlanCodec}, fitness the
 * objective vector with constraint violation, ranked by constrained domination, {@link ConstrainedVec}); the engine
 * selects parents and survivors with NSGA-II. Offspring are made by {@link ModelProposals} when the search knows the
 * plans' exact costs: many candidates, screened by their expected hypervolume gain under an {@link AccuracySurrogate}
 * learnt from every trial so far; without costs, by crossover and mutation alone. After every generation come its
 * explicit steps: promotion to the next fidelity ({@link Promotion}), the summary (a {@link Generation}, reported),
 * then the {@link RunLimit}s, the first of which to be reached ends the run and says why.
 *
 * <p>The same settings, seed, evaluator results and seeds give the same trials in the same order: the engine runs on one
 * thread (evaluation batches may fan out inside the {@link PlanEvaluator}) and the model is a function of the trials.
 */
public final class Nsga2Search {
    /** Times the variation is applied to the parents per generation when offspring are model-screened. */
    static final int VARIATION_ROUNDS = 8;
    /** Candidates drawn from the front's knob frequencies, per offspring. */
    static final int SAMPLES_PER_OFFSPRING = 4;

    private final SearchSpace space;
    private final PlanCodec codec;
    private final SearchSettings settings;
    private final double[] hvReference;
    private final StopRequest stopRequest;
    private final Function<CompressionPlan, Map<String, Double>> costs;
    private final ToDoubleFunction<CompressionPlan> prior;
    private final ToDoubleFunction<CompressionPlan> recoveryPrior;
    private final double[][] positions;
    private final Objective quality; // the objective the accuracy model learns, on its 0-to-1 scale (Objective#toUnit)
    private final double exploration;
    private final RunLimit limit;

    private Nsga2Search(Builder b) {
        this.space = b.space;
        this.codec = PlanCodec.of(b.space);
        this.settings = b.settings;
        this.hvReference = b.reference.clone();
        this.stopRequest = b.stopRequest;
        this.costs = b.costs;
        this.prior = b.prior;
        this.recoveryPrior = b.recoveryPrior;
        this.positions = AccuracySurrogate.positions(codec.knobs());
        this.quality = Objective.qualityOf(b.settings.objectives());
        this.exploration = b.exploration;
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
        private Function<CompressionPlan, Map<String, Double>> costs;
        private ToDoubleFunction<CompressionPlan> prior;
        private ToDoubleFunction<CompressionPlan> recoveryPrior;
        private double exploration = 1.0;
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

        /**
         * A plan's cost objectives, exact and cheap (the cost model): with them offspring are screened by the accuracy
         * model before they are evaluated; without, made by crossover and mutation alone.
         */
        public Builder costs(Function<CompressionPlan, Map<String, Double>> costs) {
            this.costs = costs;
            return this;
        }

        /** Where the accuracy model starts before trials teach it: the sensitivity table's prediction. */
        public Builder prior(ToDoubleFunction<CompressionPlan> prior) {
            this.prior = prior;
            return this;
        }

        /**
         * Where the model of recovered accuracy ({@link Promotion}) starts: the accuracy a plan's bit-widths alone are
         * predicted to keep (a fine-tune gives back what pruning took).
         */
        public Builder recoveryPrior(ToDoubleFunction<CompressionPlan> recoveryPrior) {
            this.recoveryPrior = recoveryPrior;
            return this;
        }

        /** A limit beside the settings' own (generations, time budget, stagnation) and the stop request. */
        public Builder limit(RunLimit limit) {
            this.limit = this.limit == null ? limit : this.limit.or(limit);
            return this;
        }

        /** How far to widen the model's predicted spread when ranking offspring (1 = as fitted); more explores more. */
        public Builder exploration(double exploration) {
            if (!(exploration > 0)) throw new IllegalArgumentException("exploration must be > 0, got " + exploration);
            this.exploration = exploration;
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

    /**
     * What one generation did, for progress reporting and the checkpoint.
     *
     * @param surrogate how well the accuracy model agreed with measurements; null when offspring were not model-screened
     */
    public record Generation(int generation, int evaluatedNew, int fromCache, int trials, double hypervolume,
                             Map<String, Double> bestFeasible, double seconds, List<String> population, SurrogateAgreement surrogate) {}

    /**
     * The accuracy model's agreement with measured accuracy in one generation (Kendall tau, null with too few trials).
     *
     * @param fittedOn   measured trials the model that proposed this generation's offspring was fitted to
     * @param heldOutTau that model's leave-one-out predictions against those trials' measurements
     * @param predicted  trials of this generation whose accuracy the model predicted before they were measured
     * @param tau        those predictions against the measurements: agreement on plans the model had not seen
     */
    public record SurrogateAgreement(int fittedOn, Double heldOutTau, int predicted, Double tau) {}

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

    /** Whether offspring are screened by the accuracy model (the search was given exact costs). */
    public boolean modelBased() {
        return costs != null;
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
                new Promotion(settings.objectives(), settings.constraints(), promoter, baselineAccuracy, hvReference, exploration,
                        plan -> point(space.indicesOf(plan), plan, recoveryPrior)), baselineAccuracy, onGeneration);
        RunLimit.Stop stop = run.execute(seeds);
        List<Trial> all = run.book.all();
        return new Outcome(all, Fronts.feasible(all, settings.objectives()), List.copyOf(run.generations), stop.reason(), stop.complete());
    }

    /** A plan as an accuracy model sees it: its knobs' positions, and the prior's accuracy (NaN without one). */
    private AccuracySurrogate.Point point(int[] idx, CompressionPlan plan, ToDoubleFunction<CompressionPlan> prior) {
        double[] pos = new double[idx.length];
        for (int k = 0; k < idx.length; k++) pos[k] = positions[k][idx[k]];
        return new AccuracySurrogate.Point(pos, prior == null ? Double.NaN : quality.toUnit(prior.applyAsDouble(plan)));
    }

    /** One run's state: its trials, the model learnt from them, the generations so far. */
    private final class Run {
        private final TrialBook book;
        private final Promotion promotion;
        private final double baselineAccuracy;
        private final Consumer<Generation> onGeneration;
        private final List<Generation> generations = new ArrayList<>();
        private final Map<String, Double> proposed = new HashMap<>(); // plan key -> predicted accuracy, this generation's offspring
        private AccuracySurrogate surrogate;
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
                        .alterers(offspring())
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

        private Alterer<IntegerGene, ConstrainedVec> offspring() {
            Alterer<IntegerGene, ConstrainedVec> variation = Alterer.of(new KnobCrossover<ConstrainedVec>(0.9),
                    new Mutator<IntegerGene, ConstrainedVec>(1.0 / codec.knobs().size()));
            if (!modelBased()) return variation;
            return new ModelProposals(codec, variation, VARIATION_ROUNDS, SAMPLES_PER_OFFSPRING, this::learn);
        }

        private List<ConstrainedVec> fitness(List<CompressionPlan> plans, int generation) {
            return book.lookup(plans, generation, proposed).stream().map(this::fitness).toList();
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
                    populationIds(r, all), modelBased() ? agreement(all, gen) : null);
            evaluatedBefore = book.evaluatedThisRun();
            cachedBefore = book.cachedThisRun();
            generations.add(g);
            onGeneration.accept(g);
            return g;
        }

        private SurrogateAgreement agreement(List<Trial> all, int generation) {
            var predicted = new ArrayList<Double>();
            var measured = new ArrayList<Double>();
            for (Trial t : all) {
                Double m = measuredAccuracy(t);
                if (t.generation() != generation || m == null || !t.values().containsKey(Trial.SURROGATE)) continue;
                predicted.add(t.values().get(Trial.SURROGATE));
                measured.add(m);
            }
            Double tau = predicted.size() < 3 ? null : AccuracySurrogate.kendall(
                    predicted.stream().mapToDouble(Double::doubleValue).toArray(), measured.stream().mapToDouble(Double::doubleValue).toArray());
            return new SurrogateAgreement(surrogate == null ? 0 : surrogate.trials(), surrogate == null ? null : surrogate.heldOutTau(),
                    predicted.size(), tau);
        }

        /** The measured-rung accuracy of a trial (what the model learns and predicts), or null for a predicted one. */
        private Double measuredAccuracy(Trial t) {
            return switch (t.fidelity()) {
                case MEASURED -> t.values().get(quality.key());
                case PREDICTED -> null;
                case RECOVERED -> t.values().get(quality.keyAt(Fidelity.MEASURED));
            };
        }

        /** The per-generation learning step: the accuracy model refitted to every measured trial, and the front it must beat. */
        private ModelProposals.Screen learn() {
            List<Trial> all = book.all();
            var points = new ArrayList<AccuracySurrogate.Point>();
            var accuracy = new ArrayList<Double>();
            var seen = new HashSet<String>();
            for (Trial t : all) {
                int[] idx = space.indicesOf(t.plan());
                seen.add(Arrays.toString(idx));
                Double a = measuredAccuracy(t);
                if (a == null) continue;
                points.add(point(idx, t.plan(), prior));
                accuracy.add(quality.toUnit(a));
            }
            surrogate = AccuracySurrogate.fit(points, accuracy.stream().mapToDouble(Double::doubleValue).toArray());
            List<Trial> front = Fronts.feasible(all, settings.objectives());
            var gain = HypervolumeGain.of(settings.objectives(), hvReference, settings.constraints(), baselineAccuracy, exploration,
                    front.stream().map(Trial::values).toList());
            List<int[]> frontIndices = (front.isEmpty() ? Fronts.leastViolating(all, 8) : front).stream()
                    .map(t -> space.indicesOf(t.plan())).toList();
            proposed.clear();
            return new Screen(surrogate, gain, seen, frontIndices);
        }

        /** One generation's screen: candidates ranked by expected hypervolume gain, chosen greedily (lazily re-scored). */
        private final class Screen implements ModelProposals.Screen {
            private final AccuracySurrogate model;
            private final Set<String> seen;
            private final List<int[]> front;
            private HypervolumeGain gain;

            Screen(AccuracySurrogate model, HypervolumeGain gain, Set<String> seen, List<int[]> front) {
                this.model = model;
                this.gain = gain;
                this.seen = seen;
                this.front = front;
            }

            @Override
            public List<int[]> front() {
                return front;
            }

            @Override
            public boolean seen(int[] indices) {
                return seen.contains(Arrays.toString(indices));
            }

            /** A candidate as the front sees it: its plan, exact costs and predicted accuracy. */
            private record Candidate(int[] indices, CompressionPlan plan, Map<String, Double> costs, AccuracySurrogate.Prediction prediction) {}

            /** The best {@code n} by expected hypervolume gain ({@link HypervolumeGain#chooseGreedily}); each joins the front as believed. */
            @Override
            public List<int[]> best(List<int[]> candidates, int n) {
                var all = new ArrayList<Candidate>(candidates.size());
                for (int[] indices : candidates) {
                    CompressionPlan plan = codec.plan(indices);
                    all.add(new Candidate(indices, plan, Nsga2Search.this.costs.apply(plan), model.predict(point(indices, plan, prior))));
                }
                var choices = gain.chooseGreedily(all, Candidate::costs, Candidate::prediction, n);
                gain = choices.front();
                var picked = new ArrayList<int[]>();
                for (var c : choices.chosen()) {
                    picked.add(c.item().indices());
                    proposed.put(c.item().plan().key(), quality.fromUnit(c.item().prediction().accuracy()));
                }
                return picked;
            }
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
