package dev.squeeze.hardware;

import java.util.List;

/**
 * A plan's predicted cost on a device: totals, per-layer detail and warnings (formats or memory the
 * device cannot provide). JSON keys ({@code device}, {@code total}, {@code layers}, {@code warnings}).
 */
public record PlanCost(String device, String model, int batch, Totals total, List<LayerCost> layers, List<String> warnings) {
    public PlanCost {
        layers = List.copyOf(layers);
        warnings = List.copyOf(warnings);
    }

    /**
     * What the search needs per candidate, computed without per-layer records.
     *
     * @param latencyMs    sum of layer latencies
     * @param energyMj     compute + traffic + static power x latency
     * @param sizeMb       stored weights at the plan's bits plus per-channel scales (10^6 bytes)
     * @param peakMemoryMb weights plus the largest input+output activation pair of one layer
     * @param macs         multiply-accumulates after pruning, whole batch
     * @param unsupported  layers whose bit-widths the device cannot run (0 when the plan fits the device)
     * @param fitsMemory   whether peak memory fits the device's memory
     */
    public record Totals(double latencyMs, double energyMj, double sizeMb, double peakMemoryMb, long macs,
                         int unsupported, boolean fitsMemory) {}
}
