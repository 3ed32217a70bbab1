package dev.squeeze.search;

import dev.squeeze.results.Constraint;
import dev.squeeze.results.Objective;

import java.time.Duration;
import java.util.List;

/**
 * How to run one NSGA-II search. Immutable: the run is configured once, then executed.
 *
 * @param stagnation  stop after this many generations without hypervolume gain (0 = never)
 * @param timeBudget  stop after this long and return the front so far (null = no limit)
 */
public record SearchSettings(List<Objective> objectives, List<Constraint> constraints, int population,
                             int generations, Duration timeBudget, int stagnation, long seed) {
    public SearchSettings {
        objectives = List.copyOf(objectives);
        constraints = List.copyOf(constraints);
        if (objectives.size() < 2) throw new IllegalArgumentException("a multi-objective search needs at least two objectives");
        if (population < 4) throw new IllegalArgumentException("population must be at least 4");
        if (generations < 1) throw new IllegalArgumentException("generations must be at least 1");
    }
}
