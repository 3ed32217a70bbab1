package dev.squeeze.evaluators;

import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Trial;

import java.util.List;

/**
 * Raises the fidelity of promising plans after a generation (the {@code recovered} rung): gets the plans
 * chosen for promotion and returns their new evaluations, in the same order.
 */
public interface Promoter {
    List<Evaluation> promote(List<Trial> candidates);

    /** How many plans to promote after this generation. */
    int budget(int generation);

    /** The fidelity promoted plans reach (for {@link #NONE}, which promotes nothing, plans stay measured). */
    Fidelity fidelity();

    Promoter NONE = new Promoter() {
        public List<Evaluation> promote(List<Trial> candidates) {
            return List.of();
        }

        public int budget(int generation) {
            return 0;
        }

        public Fidelity fidelity() {
            return Fidelity.MEASURED;
        }
    };
}
