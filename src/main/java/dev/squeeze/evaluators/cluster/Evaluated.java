package dev.squeeze.evaluators.cluster;

import java.io.Serializable;

/**
 * A plan's quality metric (the workload's: accuracy, agreement, ...) as a worker measured it: what the cluster's results
 * map holds (costs are the search's own).
 *
 * @param fidelity the rung that measured it, in its file form ({@link dev.squeeze.results.Fidelity#key}): the map
 *                 holds what it held before Fidelity was an enum
 * @param worker the worker that measured it, {@code host:port}
 */
record Evaluated(double quality, String fidelity, double seconds, String worker) implements Serializable {}
