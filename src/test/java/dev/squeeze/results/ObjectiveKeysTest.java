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
        assertEquals(List.of("accuracy", "latency_ms", "energy_mj", "size_mb", "peak_memory_mb"),
                Arrays.stream(Objective.values()).map(Objective::key).toList());
        assertEquals("accuracy_predicted", Objective.ACCURACY.keyAt(Fidelity.PREDICTED));
        assertEquals("accuracy_measured", Objective.ACCURACY.keyAt(Fidelity.MEASURED));
        assertEquals("accuracy_surrogate", Trial.SURROGATE);
    }

    @Test
    void constraintKeysAreUnchanged() {
        assertEquals(List.of("accuracy_drop", "latency_ms", "energy_mj", "size_mb", "peak_memory_mb"), Constraint.KEYS);
        var values = Map.of("accuracy", 0.90, "latency_ms", 2.0);
        assertEquals(0.01 - 0.02, new Constraint(Constraint.ACCURACY_DROP, 0.01).slack(values, 0.92), 1e-12);
        assertEquals(1.0, new Constraint("latency_ms", 3.0).slack(values, 0.92), 1e-12);
    }
}
