package dev.squeeze.search;

import dev.squeeze.model.CompressionPlan;
import io.jenetics.IntegerGene;
import io.jenetics.Phenotype;
import io.jenetics.engine.Codec;
import io.jenetics.engine.Evaluator;
import io.jenetics.engine.Problem;
import io.jenetics.util.ISeq;
import io.jenetics.util.Seq;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.function.Function;

/**
 * The search problem in Jenetics' terms: plans through the {@link PlanCodec}, and their fitness, the objective
 * vector with constraint violation. Fitness is computed in batches (a {@link dev.squeeze.evaluators.PlanEvaluator}
 * spreads a batch over workers), so the engine is given {@link #evaluator()}, which hands over a generation's
 * unevaluated plans at once.
 */
final class PlanProblem implements Problem<CompressionPlan, IntegerGene, ConstrainedVec> {
    private final PlanCodec codec;
    private final BatchFitness batch;

    PlanProblem(PlanCodec codec, BatchFitness batch) {
        this.codec = codec;
        this.batch = batch;
    }

    /** Fitness of several plans at once, in order; {@code generation} is the one that asked (0 = the first population). */
    @FunctionalInterface
    interface BatchFitness {
        List<ConstrainedVec> of(List<CompressionPlan> plans, int generation);
    }

    @Override
    public Function<CompressionPlan, ConstrainedVec> fitness() {
        return plan -> batch.of(List.of(plan), 0).get(0);
    }

    @Override
    public Codec<CompressionPlan, IntegerGene> codec() {
        return codec;
    }

    /** Evaluates the phenotypes without fitness as one batch (Jenetics numbers generations from 1, trials from 0). */
    Evaluator<IntegerGene, ConstrainedVec> evaluator() {
        return population -> evaluate(population);
    }

    private ISeq<Phenotype<IntegerGene, ConstrainedVec>> evaluate(Seq<Phenotype<IntegerGene, ConstrainedVec>> population) {
        var todo = population.stream().filter(Phenotype::nonEvaluated).toList();
        List<CompressionPlan> plans = todo.stream().map(p -> codec.decode(p.genotype())).toList();
        int generation = (int) Math.max(0, todo.stream().mapToLong(Phenotype::generation).max().orElse(1) - 1);
        List<ConstrainedVec> fitness = batch.of(plans, generation);
        var byPhenotype = new IdentityHashMap<Phenotype<IntegerGene, ConstrainedVec>, ConstrainedVec>();
        for (int i = 0; i < todo.size(); i++) byPhenotype.put(todo.get(i), fitness.get(i));
        return population.stream().map(p -> p.isEvaluated() ? p : p.withFitness(byPhenotype.get(p))).collect(ISeq.toISeq());
    }
}
