package dev.squeeze.search;

import dev.squeeze.StopRequest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Named limits judged on the generations so far; the first one reached names the stop. */
class RunLimitTest {
    static Nsga2Search.Generation gen(int i, double hv, double seconds, int trials) {
        return new Nsga2Search.Generation(i, 0, 0, trials, hv, Map.of(), seconds, List.of(), null);
    }

    static List<Nsga2Search.Generation> history(double... hv) {
        var out = new ArrayList<Nsga2Search.Generation>();
        for (int i = 0; i < hv.length; i++) out.add(gen(i, hv[i], 10.0 * (i + 1), 16 * (i + 1)));
        return out;
    }

    @Test
    void eachLimitSaysWhenAndWhyAndTheFirstReachedWins() {
        var settings = new SearchSettings(Nsga2SearchTest.OBJECTIVES, List.of(), 16, 10, Duration.ofSeconds(45), 2, 1);
        RunLimit limit = RunLimit.of(settings);
        assertEquals(Optional.empty(), limit.test(history(0.1, 0.2)));
        assertEquals("time-budget", limit.test(history(0.1, 0.2, 0.3, 0.4, 0.5)).orElseThrow().limit());
        assertEquals("time budget", limit.test(history(0.1, 0.2, 0.3, 0.4, 0.5)).orElseThrow().reason());
        var stagnated = limit.test(history(0.1, 0.2, 0.2, 0.2)).orElseThrow();
        assertEquals("hypervolume stagnation (2 generations without gain)", stagnated.reason());
        assertTrue(stagnated.complete());

        var generations = RunLimit.generations(3);
        assertEquals(Optional.empty(), generations.test(history(0.1, 0.2)));
        assertEquals("generations", generations.test(history(0.1, 0.2, 0.3)).orElseThrow().reason());
        assertEquals("40 trials", RunLimit.trials(40).test(history(0.1, 0.2, 0.3)).orElseThrow().reason());
    }

    @Test
    void stagnationCountsGenerationsSinceTheLastGainOverEveryEarlierOneAndZero() {
        RunLimit stagnation = RunLimit.stagnation(2);
        assertTrue(stagnation.test(history(0, 0)).isPresent(), "no gain over 0 from the start");
        assertFalse(stagnation.test(history(0.1, 0.3, 0.2)).isPresent(), "a dip is one generation without gain");
        assertTrue(stagnation.test(history(0.1, 0.3, 0.2, 0.3)).isPresent(), "back to the best is no gain");
        assertFalse(stagnation.test(history(0.1, 0.3, 0.2, 0.3, 0.31)).isPresent());
    }

    @Test
    void aStopRequestEndsTheRunIncompleteWithItsReason() {
        var stop = new StopRequest();
        RunLimit limit = RunLimit.generations(10).or(RunLimit.stopRequest(stop));
        assertEquals(Optional.empty(), limit.test(history(0.1)));
        stop.request("SIGTERM");
        var s = limit.test(history(0.1)).orElseThrow();
        assertEquals(new RunLimit.Stop("stop-request", "SIGTERM", false), s);
        assertTrue(limit.test(history(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1)).orElseThrow().complete(),
                "the run's own limit, tested first, names the stop when both are reached");
    }
}
