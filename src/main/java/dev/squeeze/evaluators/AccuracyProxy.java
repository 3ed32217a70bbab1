package dev.squeeze.evaluators;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.Objective;

/**
 * Measures a plan's quality metric (accuracy, or a label-free one: {@link QualityMeasure}) at one fidelity. One
 * instance holds one network copy and is used by one thread at a time; {@link ParallelEvaluator} gives each worker its own.
 */
public interface AccuracyProxy {
    double quality(CompressionPlan plan);

    /** The quality objective {@link #quality} measures. */
    Objective metric();

    /** The rung whose values this proxy measures. */
    Fidelity fidelity();
}
