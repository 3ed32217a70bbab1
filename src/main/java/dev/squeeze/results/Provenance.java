package dev.squeeze.results;

import java.util.Map;

/**
 * How a run was made, so that every result can be traced and repeated (after Tribuo's provenance):
 * input files with their SHA-256, seed, versions, machine, start time, data splits.
 */
public record Provenance(Map<String, String> inputs, long seed, int threads, Map<String, String> versions,
                         String os, String cpu, String startedAt, Object data) {
    public Provenance {
        inputs = Map.copyOf(inputs);
        versions = Map.copyOf(versions);
    }
}
