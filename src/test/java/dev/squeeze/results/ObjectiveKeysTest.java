package dev.squeeze.results;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Typed objective keys spell exactly what job files, trials.jsonl and front.json have always said. */
class ObjectiveKeysTest {
    @Test
    void keysAreTheFileForms() {
        assertEquals(List.of("accuracy", "top5_accuracy", "agreement", "output_cosine", "output_kl", "latency_ms", "energy_mj", "size_mb",
                        "peak_memory_mb"), Arrays.stream(Objective.values()).map(Objective::key).toList());
        assertEquals("accuracy_predicted", Objective.ACCURACY.keyAt(Fidelity.PREDICTED));
        assertEquals("accuracy_measured", Objective.ACCURACY.keyAt(Fidelity.MEASURED));
        assertEquals("accuracy_surrogate", Trial.SURROGATE);
    }

    @Test
    void constraintKeysAreUnchanged() {
        assertEquals(List.of("accuracy_drop", "top5_accuracy_drop", "agreement_drop", "output_cosine_drop", "output_kl_drop",
                "latency_ms", "energy_mj", "size_mb", "peak_memory_mb"), Constraint.KEYS);
        var values = Map.of("accuracy", 0.90, "latency_ms", 2.0);
        assertEquals(0.01 - 0.02, new Constraint(Constraint.ACCURACY_DROP, 0.01).slack(values, 0.92), 1e-12);
        assertEquals(1.0, new Constraint("latency_ms", 3.0).slack(values, 0.92), 1e-12);
    }

    @Test
    void dropsPointAwayFromTheUncompressedModelWhicheverWayTheMetricGoes() {
        // a KL divergence rises as the model departs: 0.05 above a baseline of 0.001 is a drop of 0.049
        assertEquals(0.06 - 0.049, new Constraint("output_kl_drop", 0.06).slack(Map.of("output_kl", 0.05), 0.001), 1e-12);
        assertEquals(0.02, Objective.AGREEMENT.drop(1.0, 0.98), 1e-12);
        assertEquals(0.05, Objective.OUTPUT_KL.behind(0.0, 0.05), 1e-12);
        assertEquals(0.3, Objective.OUTPUT_KL.fromUnit(Objective.OUTPUT_KL.toUnit(0.3)), 1e-12);
        assertEquals(Objective.OUTPUT_KL, new Constraint("output_kl_drop", 0.1).limitsDropOf());
        assertEquals(null, new Constraint("latency_ms", 0.1).limitsDropOf());
    }
}
