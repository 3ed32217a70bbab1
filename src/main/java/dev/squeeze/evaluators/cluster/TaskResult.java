package dev.squeeze.evaluators.cluster;

import java.io.Serializable;

/**
 * What a worker answers a plan with: its result, or why it has none. A task never throws across the cluster (an
 * exception would travel by Java serialisation, which members restrict to squeeze's own messages).
 *
 * @param evaluated the result, or null
 * @param failure   why there is no result, or null
 * @param retry     whether another worker may succeed where this one did not (it is shutting down)
 */
record TaskResult(Evaluated evaluated, String failure, boolean retry) implements Serializable {
    static TaskResult done(Evaluated e) {
        return new TaskResult(e, null, false);
    }

    /** The plan cannot be evaluated (the message says why); trying elsewhere would fail the same way. */
    static TaskResult failed(String why) {
        return new TaskResult(null, why, false);
    }

    /** This worker will not evaluate it (it is leaving); another may. */
    static TaskResult elsewhere(String why) {
        return new TaskResult(null, why, true);
    }
}
