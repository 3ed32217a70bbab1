package dev.squeeze.evaluators;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Fidelity;

/**
 * Measures a plan's accuracy at one fidelity. One instance holds one network copy and is used by one
 * thread at a time; {@link ParallelEvaluator} gives each worker its own.
 */
public interface AccuracyProxy {
    double accuracy(CompressionPlan plan);

    /** The rung whose accuracies this proxy measures. */
    Fidelity fidelity();
}
