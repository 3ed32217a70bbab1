package dev.squeeze.evaluators;

import dev.squeeze.model.CompressionPlan;

import java.util.List;

/**
 * Scores plans. Takes a batch and returns a batch (same order) so that the work can be spread over
 * local worker threads now and over a cluster backend later without the search noticing.
 */
public interface PlanEvaluator {
    List<Evaluation> evaluate(List<CompressionPlan> plans);

    /** A short description of what this evaluator measures and how, for provenance and cache keys. */
    String describe();
}
