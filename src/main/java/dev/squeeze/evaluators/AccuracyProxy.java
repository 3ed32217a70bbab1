package dev.squeeze.evaluators;

import dev.squeeze.model.CompressionPlan;

/**
 * Measures a plan's accuracy at one fidelity. One instance holds one network copy and is used by one
 * thread at a time; {@link ParallelEvaluator} gives each worker its own.
 */
public interface AccuracyProxy {
    double accuracy(CompressionPlan plan);

    /** {@code predicted}, {@code measured} or {@code recovered}. */
    String fidelity();
}
