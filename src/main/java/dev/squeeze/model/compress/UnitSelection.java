package dev.squeeze.model.compress;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.LayerGraph;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which units each dependency group keeps, ascending; groups not listed keep everything. Immutable.
 *
 * @param kept group id -> kept unit indices
 */
public record UnitSelection(Map<String, int[]> kept) {
    public UnitSelection {
        var copy = new TreeMap<String, int[]>();
        kept.forEach((k, v) -> copy.put(k, v.clone()));
        kept = Collections.unmodifiableMap(copy);
    }

    public static final UnitSelection NONE = new UnitSelection(Map.of());

    /**
     * Keeps, in every group, the plan's count (rounded up to {@code align}) of the most important units.
     *
     * @param order group id -> unit indices, least important first
     */
    public static UnitSelection of(LayerGraph graph, CompressionPlan plan, Map<String, int[]> order, int align) {
        var counts = new HashMap<String, Integer>();
        for (DependencyGroup g : graph.groups()) counts.put(g.id(), plan.keptUnits(graph, g, align));
        return ofCounts(graph, counts, order);
    }

    /** Keeps {@code counts.get(id)} most important units of each group (absent or full counts keep all). */
    public static UnitSelection ofCounts(LayerGraph graph, Map<String, Integer> counts, Map<String, int[]> order) {
        var kept = new HashMap<String, int[]>();
        for (DependencyGroup g : graph.groups()) {
            int keep = counts.getOrDefault(g.id(), g.units());
            if (keep >= g.units()) continue;
            int[] ranked = order.get(g.id());
            int[] chosen = Arrays.copyOfRange(ranked, g.units() - keep, g.units());
            Arrays.sort(chosen);
            kept.put(g.id(), chosen);
        }
        return new UnitSelection(kept);
    }

    /**
     * This selection followed by {@code next}, which numbers units as the network this one produced: the
     * result names the finally kept units in the original numbering (progressive pruning).
     */
    public UnitSelection then(UnitSelection next) {
        var composed = new HashMap<String, int[]>(kept);
        next.kept.forEach((group, k) -> {
            int[] first = kept.get(group);
            composed.put(group, first == null ? k.clone() : Arrays.stream(k).map(i -> first[i]).toArray());
        });
        return new UnitSelection(composed);
    }

    /** Kept units of a group, or null when it keeps all. */
    public int[] keptOf(String group) {
        int[] k = kept.get(group);
        return k == null ? null : k.clone();
    }

    /** Removed units of a group of {@code units}, ascending (empty when it keeps all). */
    public int[] removedOf(String group, int units) {
        int[] k = kept.get(group);
        if (k == null) return new int[0];
        boolean[] keep = new boolean[units];
        for (int u : k) keep[u] = true;
        return java.util.stream.IntStream.range(0, units).filter(u -> !keep[u]).toArray();
    }

    /** Kept counts by group, for {@link LayerGraph#pruned(Map)}. */
    public Map<String, Integer> counts() {
        var m = new HashMap<String, Integer>();
        kept.forEach((k, v) -> m.put(k, v.length));
        return m;
    }

    public boolean isEmpty() {
        return kept.isEmpty();
    }
}
