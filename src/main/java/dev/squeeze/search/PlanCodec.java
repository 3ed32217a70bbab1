package dev.squeeze.search;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.spaces.Knob;
import dev.squeeze.spaces.SearchSpace;
import io.jenetics.Genotype;
import io.jenetics.IntegerChromosome;
import io.jenetics.IntegerGene;
import io.jenetics.engine.InvertibleCodec;
import io.jenetics.util.Factory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Plans as genotypes and back: one single-gene {@link IntegerChromosome} per knob of the space (in
 * {@link SearchSpace#genes()} order), holding an index into the knob's values. Each knob is its own chromosome
 * because Jenetics gives one index range per chromosome. Decoding is exact; encoding places any plan on the
 * space's closest values (how baselines outside the space seed the first population). Immutable.
 */
final class PlanCodec implements InvertibleCodec<CompressionPlan, IntegerGene> {
    private final SearchSpace space;
    private final List<Knob> knobs;

    private PlanCodec(SearchSpace space) {
        this.space = space;
        this.knobs = space.genes();
    }

    static PlanCodec of(SearchSpace space) {
        if (space.genes().isEmpty()) throw new IllegalArgumentException("the space has no knob with more than one value: nothing to search");
        return new PlanCodec(space);
    }

    /** The knobs the genes index, in gene order. */
    List<Knob> knobs() {
        return knobs;
    }

    /** A uniformly random genotype (Jenetics ranges exclude their max). */
    @Override
    public Factory<Genotype<IntegerGene>> encoding() {
        return () -> {
            var chromosomes = new ArrayList<IntegerChromosome>();
            for (Knob k : knobs) chromosomes.add(IntegerChromosome.of(0, k.values().size(), 1));
            return Genotype.of(chromosomes);
        };
    }

    @Override
    public Function<Genotype<IntegerGene>, CompressionPlan> decoder() {
        return g -> space.plan(indices(g));
    }

    @Override
    public Function<CompressionPlan, Genotype<IntegerGene>> encoder() {
        return plan -> genotype(space.indicesOf(plan));
    }

    /** The plan for one value index per knob. */
    CompressionPlan plan(int[] indices) {
        return space.plan(indices);
    }

    /** The genotype holding these value indices. */
    Genotype<IntegerGene> genotype(int[] indices) {
        var chromosomes = new ArrayList<IntegerChromosome>();
        for (int i = 0; i < indices.length; i++) {
            chromosomes.add(IntegerChromosome.of(IntegerGene.of(indices[i], 0, knobs.get(i).values().size())));
        }
        return Genotype.of(chromosomes);
    }

    static int[] indices(Genotype<IntegerGene> g) {
        int[] idx = new int[g.length()];
        for (int i = 0; i < idx.length; i++) idx[i] = g.get(i).gene().intValue();
        return idx;
    }
}
