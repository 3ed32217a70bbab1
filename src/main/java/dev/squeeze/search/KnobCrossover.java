package dev.squeeze.search;

import io.jenetics.Chromosome;
import io.jenetics.Genotype;
import io.jenetics.IntegerGene;
import io.jenetics.Phenotype;
import io.jenetics.Recombinator;
import io.jenetics.util.MSeq;
import io.jenetics.util.RandomRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Uniform crossover over knobs. Each knob is a one-gene chromosome with its own index range (Jenetics
 * requires one range per chromosome), and Jenetics' own crossovers recombine inside one chromosome, so
 * this one swaps whole chromosomes: each knob comes from either parent with probability 1/2.
 */
final class KnobCrossover<C extends Comparable<? super C>> extends Recombinator<IntegerGene, C> {
    KnobCrossover(double probability) {
        super(probability, 2);
    }

    @Override
    protected int recombine(MSeq<Phenotype<IntegerGene, C>> population, int[] individuals, long generation) {
        RandomGenerator random = RandomRegistry.random();
        Genotype<IntegerGene> a = population.get(individuals[0]).genotype();
        Genotype<IntegerGene> b = population.get(individuals[1]).genotype();
        List<Chromosome<IntegerGene>> childA = new ArrayList<>(), childB = new ArrayList<>();
        for (int i = 0; i < a.length(); i++) {
            boolean swap = random.nextBoolean();
            childA.add(swap ? b.get(i) : a.get(i));
            childB.add(swap ? a.get(i) : b.get(i));
        }
        population.set(individuals[0], Phenotype.of(Genotype.of(childA), generation));
        population.set(individuals[1], Phenotype.of(Genotype.of(childB), generation));
        return 2;
    }
}
