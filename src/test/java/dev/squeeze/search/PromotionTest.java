package dev.squeeze.search;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.evaluators.Promoter;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Constraint;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Promotion by expected front gain under the model of recovered accuracy, on plans shaped like fashion-resnet's: a
 * pruned plan reads chance before fine-tuning and recovers to what its bits allow.
 */
class PromotionTest {
    private static final List<Objective> OBJECTIVES = List.of(Objective.ACCURACY, Objective.LATENCY_MS);
    private static final double BASELINE = 0.94;
    private static final EvaluatedBy BY = new EvaluatedBy("fixture", "-", "PromotionTest");

    /** Measured accuracy: pruning reads as chance, 4-bit weights cost 10 points; latency falls with both. */
    private static Map<String, Double> measured(CompressionPlan p) {
        var lp = p.defaults();
        double quant = quantised(p);
        double acc = lp.pruneRatio() > 0 ? 0.10 : quant;
        double latency = 1.0 * (1 - lp.pruneRatio()) * (lp.weightBits() <= 4 ? 0.8 : lp.weightBits() <= 8 ? 1 : 2);
        return Map.of("accuracy", acc, "latency_ms", latency);
    }

    private static double quantised(CompressionPlan p) {
        return BASELINE - (p.defaults().weightBits() <= 4 ? 0.10 : p.defaults().weightBits() <= 8 ? 0.003 : 0);
    }

    private static final class Fixture implements PlanEvaluator {
        public List<Evaluation> evaluate(List<CompressionPlan> plans) {
            return plans.stream().map(p -> new Evaluation(measured(p), Fidelity.MEASURED, 0.01, BY)).toList();
        }

        public String describe() {
            return "fixture";
        }
    }

    /** Fine-tuning gives back all that pruning took, less half a point per quarter pruned beyond the first. */
    private static final class Recover implements Promoter {
        final List<String> promoted = new ArrayList<>();

        public List<Evaluation> promote(List<Trial> candidates) {
            var out = new ArrayList<Evaluation>();
            for (Trial t : candidates) {
                promoted.add(t.plan().key());
                var v = new HashMap<>(t.values());
                v.put("accuracy", quantised(t.plan()) - Math.max(0, t.plan().defaults().pruneRatio() - 0.25) * 0.02);
                out.add(new Evaluation(v, Fidelity.RECOVERED, 0.01, BY));
            }
            return out;
        }

        public int budget(int generation) {
            return 1;
        }

        public Fidelity fidelity() {
            return Fidelity.RECOVERED;
        }
    }

    @Test
    void aPrunedPlanThatReadsChanceBeforeFineTuningIsPromotedWhenItsBitsPromiseAFrontPoint() {
        var book = new TrialBook(new Fixture(), List.of(new Constraint(Constraint.ACCURACY_DROP, 0.01)), BASELINE,
                List.of(), new HashMap<>(), t -> { });
        List<CompressionPlan> plans = List.of(CompressionPlan.uniform("w32a32"), CompressionPlan.uniform("w8a8"),
                CompressionPlan.uniform("w4a8"), CompressionPlan.uniform("w8a8p0.5"), CompressionPlan.uniform("w4a8p0.75"));
        book.lookup(plans, 0, Map.of());
        var recover = new Recover();
        var promotion = new Promotion(OBJECTIVES, List.of(new Constraint(Constraint.ACCURACY_DROP, 0.01)), recover, BASELINE,
                new double[]{BASELINE - 0.1, 2.0}, 1.0, p -> new AccuracySurrogate.Point(new double[]{p.defaults().pruneRatio()}, quantised(p)));

        promotion.after(book, 0);
        // the old rule (measured drop at most 15 points) never looked at either pruned plan; the 4-bit one's bits
        // alone cost 10 points, outside the limit, so the 8-bit half-pruned plan is the one worth a fine-tune
        assertEquals(List.of(CompressionPlan.uniform("w8a8p0.5").key()), recover.promoted);
        Trial recovered = book.all().stream().filter(t -> t.fidelity() == Fidelity.RECOVERED).findFirst().orElseThrow();
        assertTrue(recovered.feasible(), "recovered to " + recovered.value(Objective.ACCURACY) + ", within the point");

        promotion.after(book, 1);
        assertEquals(2, recover.promoted.size(), "a second plan is promoted, not the first again");
        assertTrue(!recover.promoted.get(1).equals(recover.promoted.get(0)));
    }
}
