package dev.squeeze.search;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Objective;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The search-quality benchmark's bookkeeping on an enumerable space with the synthetic evaluator. */
class SearchQualityTest {
    @TempDir
    Path dir;

    @Test
    void anytimeCurvesPerSeedWithMedianAndWorstForEachMethod() throws Exception {
        var space = space();
        var setup = new SearchQuality.Setup(Nsga2SearchTest.OBJECTIVES, 0.9, new double[]{0.8, 5.0}, 16, 30,
                List.of(CompressionPlan.none(), CompressionPlan.uniform("w8a8")), Nsga2SearchTest.Synthetic::costs, null, 0);
        var evaluator = new Nsga2SearchTest.Synthetic();
        var cache = new HashMap<String, dev.squeeze.evaluators.Evaluation>();
        var r = SearchQuality.run(space, evaluator, setup, 0.08, List.of(1L, 2L), cache, line -> { });
        assertEquals(1728, r.plans());
        assertEquals(1728, evaluator.evaluated.get(), "the space is enumerated once; the searches read the enumeration");
        assertEquals(List.of(34, 69, 138), r.checkpoints());
        assertEquals(SearchQuality.METHODS, r.methods().stream().map(SearchQuality.MethodResult::method).toList());
        for (var m : r.methods()) {
            assertEquals(2, m.seeds().size());
            for (var s : m.seeds()) {
                if (m.method().equals("NSGA-II")) assertTrue(s.evaluations() <= 138, "NSGA-II alone may converge before the budget");
                else assertEquals(138, s.evaluations(), m.method());
                for (int i = 0; i < 3; i++) {
                    assertTrue(s.shares().get(i) <= 1 + 1e-12, m.method() + " cannot beat the exhaustive front: " + s);
                    if (i > 0) assertTrue(s.shares().get(i) >= s.shares().get(i - 1), "more evaluations never lose hypervolume: " + s);
                }
            }
            for (int i = 0; i < 3; i++) assertTrue(m.worst().get(i) <= m.median().get(i));
        }
        assertTrue(r.method("squeeze").median().get(2) > r.method("random").median().get(2));
        var again = SearchQuality.run(space, evaluator, setup, 0.08, List.of(2L), cache, line -> { });
        assertEquals(1728, evaluator.evaluated.get(), "a second run reads the cache");
        for (var m : again.methods()) assertEquals(r.method(m.method()).seeds().get(1), m.seeds().get(0), "same seed, same curve: " + m.method());
    }

    /** A prior that cost evaluations is charged to squeeze's budget: fewer trials, the same total, read later on the curve. */
    @Test
    void thePriorsEvaluationsComeOutOfSqueezesBudget() throws Exception {
        var space = space();
        var seeds = List.of(CompressionPlan.none(), CompressionPlan.uniform("w8a8"));
        var evaluator = new Nsga2SearchTest.Synthetic();
        var cache = new HashMap<String, dev.squeeze.evaluators.Evaluation>();
        var free = new SearchQuality.Setup(Nsga2SearchTest.OBJECTIVES, 0.9, new double[]{0.8, 5.0}, 16, 30, seeds,
                Nsga2SearchTest.Synthetic::costs, plan -> 0.9, 0);
        var charged = new SearchQuality.Setup(Nsga2SearchTest.OBJECTIVES, 0.9, new double[]{0.8, 5.0}, 16, 30, seeds,
                Nsga2SearchTest.Synthetic::costs, plan -> 0.9, 40);
        var a = SearchQuality.run(space, evaluator, free, 0.08, List.of(1L), cache, line -> { }).method("squeeze").seeds().get(0);
        var b = SearchQuality.run(space, evaluator, charged, 0.08, List.of(1L), cache, line -> { }).method("squeeze").seeds().get(0);
        assertEquals(138, b.evaluations(), "the prior's 40 plus 98 trials");
        assertEquals(0.0, b.shares().get(0), 1e-12, "after 34 evaluations squeeze is still paying for its prior");
        assertTrue(b.shares().get(2) <= a.shares().get(2) + 1e-12, "fewer trials never find more: " + a + " " + b);
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new SearchQuality.Setup(Nsga2SearchTest.OBJECTIVES, 0.9, new double[]{0.8, 5.0}, 16, 30, seeds,
                        Nsga2SearchTest.Synthetic::costs, null, 5)).getMessage().contains("without a prior"));
    }

    /** 1,728 plans: prune ratio and weight bits of conv1, conv2 and dense1. */
    private dev.squeeze.spaces.SearchSpace space() throws Exception {
        Path f = dir.resolve("space.yaml");
        Files.writeString(f, """
                schema: squeeze-space/v1
                layers:
                  - match: {names: [conv1, conv2, dense1]}
                    prune_ratio: {values: [0.0, 0.25, 0.5, 0.75]}
                    weight_bits: {values: [2, 4, 8]}
                """);
        return dev.squeeze.spaces.SpaceLoader.load(f, Nsga2SearchTest.CNN);
    }
}
