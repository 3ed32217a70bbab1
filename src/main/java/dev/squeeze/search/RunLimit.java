package dev.squeeze.search;

import dev.squeeze.StopRequest;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A named rule that ends a search, judged after every generation on the generations so far (so it keeps no state of
 * its own and a resumed run, replaying the same generations, stops where the original would have). Limits compose with
 * {@link #or}; the first that is reached names the {@link Stop}.
 */
@FunctionalInterface
public interface RunLimit {
    /** Why the run ends after the last of {@code generations}, or empty to go on. */
    Optional<Stop> test(List<Nsga2Search.Generation> generations);

    /**
     * Which limit ended a run and why.
     *
     * @param limit    the limit's name ({@code generations}, {@code time-budget}, {@code stagnation}, {@code trials}, {@code stop-request})
     * @param reason   what front.json's {@code stopped_because} says
     * @param complete false when the run was cut short from outside, so resuming it would go on
     */
    record Stop(String limit, String reason, boolean complete) {}

    /** This limit, else {@code other}. */
    default RunLimit or(RunLimit other) {
        return gens -> test(gens).or(() -> other.test(gens));
    }

    /** The run's own settings: generation count, time budget (if any), hypervolume stagnation (if asked for). */
    static RunLimit of(SearchSettings settings) {
        RunLimit limit = generations(settings.generations());
        if (settings.timeBudget() != null) limit = limit.or(timeBudget(settings.timeBudget()));
        if (settings.stagnation() > 0) limit = limit.or(stagnation(settings.stagnation()));
        return limit;
    }

    /** After {@code n} generations. */
    static RunLimit generations(int n) {
        return gens -> gens.size() >= n ? Optional.of(new Stop("generations", "generations", true)) : Optional.empty();
    }

    /** Once the run has taken {@code budget} (the front so far is the result). */
    static RunLimit timeBudget(Duration budget) {
        return gens -> !gens.isEmpty() && gens.get(gens.size() - 1).seconds() >= budget.toNanos() / 1e9
                ? Optional.of(new Stop("time-budget", "time budget", true)) : Optional.empty();
    }

    /** After {@code k} generations in a row without hypervolume gain (a generation gains when it beats every earlier one and 0). */
    static RunLimit stagnation(int k) {
        return gens -> {
            double best = 0;
            int since = 0;
            for (Nsga2Search.Generation g : gens) {
                if (g.hypervolume() > best + 1e-12) {
                    best = g.hypervolume();
                    since = 0;
                } else {
                    since++;
                }
            }
            return since >= k ? Optional.of(new Stop("stagnation", "hypervolume stagnation (" + k + " generations without gain)", true))
                    : Optional.empty();
        };
    }

    /** Once the run holds {@code n} trials (an evaluation budget; the generation that crosses it completes). */
    static RunLimit trials(int n) {
        return gens -> !gens.isEmpty() && gens.get(gens.size() - 1).trials() >= n
                ? Optional.of(new Stop("trials", n + " trials", true)) : Optional.empty();
    }

    /** As soon as {@code request} was made (SIGINT, SIGTERM): the run is then incomplete. */
    static RunLimit stopRequest(StopRequest request) {
        return gens -> request.reason().map(why -> new Stop("stop-request", why, false));
    }
}
