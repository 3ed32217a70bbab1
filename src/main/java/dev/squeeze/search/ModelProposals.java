package dev.squeeze.search;

import io.jenetics.Alterer;
import io.jenetics.AltererResult;
import io.jenetics.IntegerGene;
import io.jenetics.Phenotype;
import io.jenetics.util.ISeq;
import io.jenetics.util.RandomRegistry;
import io.jenetics.util.Seq;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Offspring chosen by a model before they cost an evaluation. From the parents NSGA-II selected it makes many
 * candidates, by the usual variation (crossover and mutation, applied over several rounds), by moving one knob of a
 * front member to each of its other values, and by sampling each knob from how often its values occur on the front;
 * drops plans already evaluated; and keeps as many as there are parents, those the {@link Screen} ranks best
 * (expected hypervolume gain under the accuracy surrogate, costs exact). The screen is learnt afresh each generation
 * from every trial so far, so this alterer holds no state of its own.
 */
final class ModelProposals implements Alterer<IntegerGene, ConstrainedVec> {
    private final PlanCodec codec;
    private final Alterer<IntegerGene, ConstrainedVec> variation;
    private final int rounds;
    private final int samplesPerOffspring;
    private final Supplier<Screen> learn;

    /**
     * @param variation           the crossover and mutation whose children are candidates
     * @param rounds              how many times the variation is applied to the parents per generation
     * @param samplesPerOffspring candidates drawn from the front's knob frequencies, per offspring
     * @param learn               the screen learnt from the trials so far (called once per generation)
     */
    ModelProposals(PlanCodec codec, Alterer<IntegerGene, ConstrainedVec> variation, int rounds, int samplesPerOffspring, Supplier<Screen> learn) {
        this.codec = codec;
        this.variation = variation;
        this.rounds = rounds;
        this.samplesPerOffspring = samplesPerOffspring;
        this.learn = learn;
    }

    /** What one generation's proposals are judged by. */
    interface Screen {
        /** Value indices of the trials on the front (or the least-violating ones when nothing is feasible). */
        List<int[]> front();

        /** Whether a plan was evaluated already. */
        boolean seen(int[] indices);

        /** The best {@code n} of the candidates, best first, chosen one after another (each counts the ones before it). */
        List<int[]> best(List<int[]> candidates, int n);
    }

    @Override
    public AltererResult<IntegerGene, ConstrainedVec> alter(Seq<Phenotype<IntegerGene, ConstrainedVec>> parents, long generation) {
        Screen screen = learn.get();
        var pool = new LinkedHashMap<String, int[]>();
        var varied = new ArrayList<int[]>();
        for (int r = 0; r < rounds; r++) {
            for (Phenotype<IntegerGene, ConstrainedVec> child : variation.alter(parents, generation).population()) {
                int[] idx = PlanCodec.indices(child.genotype());
                varied.add(idx);
                add(pool, idx, screen);
            }
        }
        for (int[] member : screen.front()) {
            for (int k = 0; k < member.length; k++) {
                for (int v = 0; v < codec.knobs().get(k).values().size(); v++) {
                    if (v == member[k]) continue;
                    int[] moved = member.clone();
                    moved[k] = v;
                    add(pool, moved, screen);
                }
            }
        }
        RandomGenerator random = RandomRegistry.random();
        int[][] counts = frontCounts(screen.front());
        for (int s = 0; s < samplesPerOffspring * parents.size(); s++) add(pool, sample(counts, random), screen);

        List<int[]> picked = new ArrayList<>(screen.best(new ArrayList<>(pool.values()), parents.size()));
        // a space nearly exhausted: top up with the variation's children (already evaluated ones cost nothing)
        for (int i = 0; picked.size() < parents.size() && i < varied.size(); i++) picked.add(varied.get(i));
        var offspring = picked.stream().map(idx -> Phenotype.<IntegerGene, ConstrainedVec>of(codec.genotype(idx), generation))
                .collect(ISeq.toISeq());
        return new AltererResult<>(offspring, offspring.size());
    }

    private void add(LinkedHashMap<String, int[]> pool, int[] idx, Screen screen) {
        if (screen.seen(idx)) return;
        pool.putIfAbsent(Arrays.toString(idx), idx);
    }

    /** Per knob, how often each value occurs on the front, plus one (so every value can be drawn). */
    private int[][] frontCounts(List<int[]> front) {
        int[][] counts = new int[codec.knobs().size()][];
        for (int k = 0; k < counts.length; k++) {
            counts[k] = new int[codec.knobs().get(k).values().size()];
            Arrays.fill(counts[k], 1);
            for (int[] member : front) counts[k][member[k]]++;
        }
        return counts;
    }

    private static int[] sample(int[][] counts, RandomGenerator random) {
        int[] idx = new int[counts.length];
        for (int k = 0; k < counts.length; k++) {
            int total = Arrays.stream(counts[k]).sum(), r = random.nextInt(total), v = 0;
            while (r >= counts[k][v]) r -= counts[k][v++];
            idx[k] = v;
        }
        return idx;
    }
}
