package dev.squeeze.evaluators.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import dev.squeeze.results.Fidelity;

import java.io.Serializable;
import java.util.concurrent.Callable;

/** The task the search sends a worker: measure one plan (given as its JSON) of a workload at a fidelity. */
final class EvaluatePlan implements Callable<TaskResult>, Serializable, HazelcastInstanceAware {
    private static final long serialVersionUID = 1L;
    private final Workload workload;
    private final String plan;
    private final String fidelity; // its file form: the message reads the same as before Fidelity was an enum
    private final String submitter;
    private transient HazelcastInstance hz;

    /** @param submitter the search member's UUID: where the worker fetches the workload's blobs from */
    EvaluatePlan(Workload workload, String plan, Fidelity fidelity, String submitter) {
        this.workload = workload;
        this.plan = plan;
        this.fidelity = fidelity.key();
        this.submitter = submitter;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hz) {
        this.hz = hz;
    }

    @Override
    public TaskResult call() {
        // no worker yet: its member has joined but is still starting; the search sends the plan elsewhere
        return hz.getUserContext().get(Worker.CONTEXT) instanceof Worker w ? w.evaluate(workload, plan, fidelity, submitter)
                : TaskResult.elsewhere("member " + Members.address(hz.getCluster().getLocalMember()) + " is still starting");
    }
}
