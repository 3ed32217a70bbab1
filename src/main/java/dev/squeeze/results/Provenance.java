package dev.squeeze.results;

import java.util.Map;

/**
 * How a run was made, so that every result can be traced and repeated (after Tribuo's provenance):
 * input files with their SHA-256, seed, versions, machine, start time, data splits, and the model's layers in
 * graph order (plans store layers by name; the report lays them out in this order).
 */
public record Provenance(Map<String, String> inputs, long seed, int threads, Map<String, String> versions,
                         String os, String cpu, String startedAt, Object data, java.util.List<String> modelLayers) {
    public Provenance {
        inputs = Map.copyOf(inputs);
        versions = Map.copyOf(versions);
        modelLayers = java.util.List.copyOf(modelLayers);
    }
}
