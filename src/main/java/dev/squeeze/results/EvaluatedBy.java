package dev.squeeze.results;

import java.util.Objects;

/**
 * Which evaluator made an evaluation: the evaluator spec by where it was read from ({@code evaluators/default.yaml}, or
 * the name a benchmark gave the spec it built) and by a hash of its settings (equal for equal settings wherever they
 * were read from), and the rung of its ladder as the rung describes itself. Recorded beside each evaluation in the
 * evaluation caches and on each trial in trials.jsonl ({@code evaluated_by}); files written before it existed lack it.
 *
 * @param evaluator where the spec came from
 * @param specHash  16 hex digits of the SHA-256 of the spec's settings ({@code dev.squeeze.evaluators.EvaluatorSpec#settingsHash})
 * @param rung      how the rung measured, e.g. {@code measured on 500 calibration images, l1 importance}
 */
public record EvaluatedBy(String evaluator, String specHash, String rung) {
    public EvaluatedBy {
        Objects.requireNonNull(evaluator, "evaluator");
        Objects.requireNonNull(specHash, "specHash");
        Objects.requireNonNull(rung, "rung");
    }
}
