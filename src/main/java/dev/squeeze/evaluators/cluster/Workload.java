package dev.squeeze.evaluators.cluster;

import dev.squeeze.ConfigFiles;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.results.Fidelity;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * What a worker needs to measure plans for one search, by content: the model zip, the calibration images and the
 * recovered rung's training images as SHA-256 hashes of blobs the worker fetches from the search when it lacks them,
 * and the evaluator spec itself (a few hundred bytes of JSON). Device, batch and space alignment are not here: costs
 * are computed by the search, and the plans it sends are already aligned. Two searches with the same workload share
 * the worker's loaded state and every result.
 *
 * @param model     SHA-256 of the model zip
 * @param modelName the model's name, for log lines
 * @param spec      the evaluator spec as JSON ({@link dev.squeeze.evaluators.EvaluatorSpec})
 * @param quality   the key of the quality objective the rungs measure ({@link dev.squeeze.results.Objective}: accuracy, agreement, ...)
 * @param images    SHA-256 of the measured rung's calibration images ({@link ImagesBlob})
 * @param train     SHA-256 of the recovered rung's training images, or null when the evaluator has no recovered rung
 * @param versions  the versions the search runs: a worker of other versions refuses the workload
 */
record Workload(String model, String modelName, String spec, String quality, String images, String train, Versions versions) implements Serializable {
    /** A short stable id: the hash of everything above. */
    String id() {
        String all = String.join("\n", model, spec, quality, images, String.valueOf(train), versions.squeeze(), Integer.toString(versions.rungs()));
        return ConfigFiles.sha256(all.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    /** {@link #quality} as the objective (a record of strings crosses the cluster as it is). */
    dev.squeeze.results.Objective qualityObjective() {
        return dev.squeeze.results.Objective.parse(quality, "the workload");
    }

    /**
     * Where a plan's result at a fidelity lives in the cluster's results map: the evaluation cache key of the accuracy
     * part (costs stay with the search), so any search of this workload reuses what any worker measured.
     */
    String resultKey(CompressionPlan plan, Fidelity fidelity) {
        return id() + ":" + plan.key() + "@" + fidelity.key();
    }
}
