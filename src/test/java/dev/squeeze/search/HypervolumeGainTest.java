package dev.squeeze.search;

import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Constraint;
import dev.squeeze.results.Fronts;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;
import dev.squeeze.model.CompressionPlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected hypervolume gain of a plan whose costs are exact and whose accuracy is a prediction. */
class HypervolumeGainTest {
    static final List<Objective> OBJECTIVES = List.of(Objective.ACCURACY, Objective.LATENCY_MS);
    static final double[] REFERENCE = {0.8, 5.0};
    static final Map<String, Double> MEMBER = Map.of("accuracy", 0.9, "latency_ms", 2.0);

    static HypervolumeGain gain(List<Constraint> constraints) {
        return HypervolumeGain.of(OBJECTIVES, REFERENCE, constraints, 0.92, 1.0, List.of(MEMBER));
    }

    static AccuracySurrogate.Prediction sure(double accuracy) {
        return new AccuracySurrogate.Prediction(AccuracySurrogate.logit(accuracy), 1e-9);
    }

    static double hypervolume(List<Map<String, Double>> points) {
        var trials = points.stream().map(v -> new Trial("t", 0, CompressionPlan.none(), v, Map.of(), 0, Fidelity.MEASURED, false, 0)).toList();
        return Fronts.hypervolume(trials, OBJECTIVES, REFERENCE);
    }

    @Test
    void aSurePredictionGainsExactlyWhatTheFrontWouldGain() {
        var score = gain(List.of()).score(Map.of("latency_ms", 1.0), sure(0.85));
        double exact = hypervolume(List.of(MEMBER, Map.of("accuracy", 0.85, "latency_ms", 1.0))) - hypervolume(List.of(MEMBER));
        assertEquals(exact, score.expectedGain(), 1e-9);
        assertTrue(score.reach() > 0);
    }

    @Test
    void aDominatedPlanGainsOnlyByItsSpreadAndRanksByHowCloseItIs() {
        var g = gain(List.of());
        var dominated = g.score(Map.of("latency_ms", 3.0), sure(0.85));
        assertEquals(0, dominated.expectedGain());
        assertTrue(dominated.reach() < 0);
        var uncertain = g.score(Map.of("latency_ms", 3.0), new AccuracySurrogate.Prediction(AccuracySurrogate.logit(0.85), 0.8));
        assertTrue(uncertain.expectedGain() > 0, "its spread reaches above the front");
        var further = g.score(Map.of("latency_ms", 3.0), sure(0.82));
        assertTrue(dominated.compareTo(further) > 0, "closer to the front ranks higher when neither gains");
    }

    @Test
    void costViolationRanksLastAndAPlanOnTheFrontGainsNothingMore() {
        var g = gain(List.of(new Constraint("latency_ms", 1.5)));
        var tooSlow = g.score(Map.of("latency_ms", 1.8), sure(0.91));
        var worthless = g.score(Map.of("latency_ms", 1.2), sure(0.70)); // below the reference accuracy
        assertTrue(tooSlow.costViolation() > 0);
        assertEquals(0, worthless.expectedGain());
        assertTrue(worthless.compareTo(tooSlow) > 0, "feasible before infeasible");

        var free = gain(List.of());
        Map<String, Double> chosen = Map.of("accuracy", 0.88, "latency_ms", 1.0);
        assertTrue(free.score(Map.of("latency_ms", 1.0), sure(0.88)).expectedGain() > 0);
        assertEquals(0, free.with(chosen).score(Map.of("latency_ms", 1.0), sure(0.88)).expectedGain(), 1e-9, "once on the front it adds nothing");
    }

    @Test
    void theAccuracyDropLimitIsWhatAPlanNeedsToReach() {
        var g = gain(List.of(new Constraint("accuracy_drop", 0.05))); // baseline 0.92: at least 0.87
        assertEquals(0, g.score(Map.of("latency_ms", 1.0), sure(0.86)).expectedGain());
        assertTrue(g.score(Map.of("latency_ms", 1.0), sure(0.88)).expectedGain() > 0);
    }
}
