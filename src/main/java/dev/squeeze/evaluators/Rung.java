package dev.squeeze.evaluators;

/** One rung of the fidelity ladder as a batch evaluator: it says how long it has spent evaluating and is closed after the run. */
public interface Rung extends PlanEvaluator, AutoCloseable {
    /** Wall time spent inside {@link #evaluate} so far. */
    double evaluatingSeconds();

    /** Releases its workers (threads and network copies, or cluster connections). */
    @Override
    void close();
}
