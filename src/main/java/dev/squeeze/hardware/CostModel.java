package dev.squeeze.hardware;

import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.LayerNode;
import dev.squeeze.model.CostTerms;
import dev.squeeze.model.compress.Deployment;
import dev.squeeze.results.Objective;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;

/**
 * Predicts latency, energy, size and peak memory of a {@link CompressionPlan} on a device.
 *
 * <p>{@link #of} walks the graph once and turns every layer into coefficients: MACs, parameters and
 * activation sizes as functions of two kept fractions, x (the input features its dependency group keeps)
 * and y (its own output units or heads). Costing a plan is then a loop over arrays: no maps beyond the
 * plan's own lookups, no strings, and no allocation beyond the result. Immutable and thread-safe.
 *
 * <p>Per layer, at batch B (hardware-profiles/README.md explains each term; refinements noted inline):
 * <pre>
 *   format   = smallest supported format holding the layer's weight and activation bits (fallback: next wider)
 *   t        = max(2*MACs / (peak[format] * efficiency * C_eff * util) + rows * row_overhead[format],
 *                  bytes / bandwidth + cached weight bytes / on_chip_bandwidth)
 *              + kernels * overhead[format]
 *   C_eff    = N/ceil_to(N, align) * K/ceil_to(K, align)     N = kept output channels, K = kept reduction length
 *   util     = tiles / (waves * units)                      output tiles spread over SMs/cores (wave quantization)
 *   E        = MACs * e_mac[format] * w*a/native^2 + bytes * e_dram + P_static * t
 * </pre>
 */
public final class CostModel {
    /** How a layer is costed. */
    private static final byte MATMUL = 0, GATHER = 1, ELEMENTWISE = 2, FUSED = 3, VIEW = 4;

    private final String graphName;
    private final HardwareProfile profile;
    private final List<DependencyGroup> groups;
    private final LayerGraph graph;
    private final int n;
    private final String[] names;
    private final String[] types;
    private final byte[] kind;
    private final int[] kernels;
    /** Kept fractions: x scales MACs/params/K, y scales MACs/params/N/outputs, in scales input elements. */
    private final Share[] xShare, yShare, inShare;
    private final double[] macsXY, macsY, paramsXY, paramsY, params0, scalesY, scales0;
    /**
     * Dense and attention weights that run as MatMulNBits below 5 bits ({@link Deployment}: here, those of at least
     * {@link Deployment#NBITS_FROM_WEIGHTS} values; smaller ones run on float inputs only inside attention, whose
     * reductions fit one block) have a scale per block along their reduction ({@link Deployment#nbitsBlock}): rows x
     * ceil(K / block) scales, for a matrix whose rows scale by y and K by x, and one whose rows are fixed and K scales by
     * y (attention's output projection).
     */
    private final double[] blockRowsY, blockKX, blockRows0, blockKY;
    private final double[] inElems, outElems, positions, baseN, baseK;
    private final boolean[] outScaled;
    /** The layer that produces each layer's first input (-1: a graph input), for the input's activation bits. */
    private final int[] producer;
    private final int[] fusedInto;
    /**
     * Bits as stored, by plan bits: the narrowest width in the profile's {@code weight_bits} / {@code activation_bits}
     * that holds them, or -1 when none does (the plan does not fit the device).
     */
    private final int[] weightStorage, actStorage;
    private final ThreadLocal<Scratch> scratch;

    private record Scratch(int[] w, int[] a, double[] frac) {}

    /**
     * A kept fraction of a layer's features as the groups' kept fractions make it: {@code fixed + sum weights[k] * f[groups[k]]},
     * where each group's weight is its share of the features (1 for a layer in one group, each input's share after a
     * concat) and {@code fixed} the share no group prunes.
     */
    private record Share(double fixed, int[] groups, double[] weights) {
        static final Share WHOLE = new Share(1, new int[0], new double[0]);

        double of(double[] frac) {
            double f = fixed;
            for (int k = 0; k < groups.length; k++) f += weights[k] * frac[groups[k]];
            return f;
        }

        /** The share of {@code features} positions that members {@code ms} (of groups {@code gs}) own. */
        static Share of(List<Integer> gs, List<DependencyGroup.Member> ms, List<DependencyGroup> groups, double features) {
            if (gs.isEmpty()) return WHOLE;
            double[] w = new double[gs.size()];
            double owned = 0;
            for (int k = 0; k < w.length; k++) {
                w[k] = (double) groups.get(gs.get(k)).units() * ms.get(k).rowsPerUnit() / features;
                owned += w[k];
            }
            return new Share(1 - owned, gs.stream().mapToInt(Integer::intValue).toArray(), w);
        }
    }

    private CostModel(LayerGraph graph, HardwareProfile profile) {
        this.graph = graph;
        this.graphName = graph.name();
        this.profile = profile;
        this.groups = graph.groups();
        List<LayerNode> nodes = graph.nodes();
        n = nodes.size();
        names = new String[n];
        types = new String[n];
        kind = new byte[n];
        kernels = new int[n];
        xShare = new Share[n];
        yShare = new Share[n];
        inShare = new Share[n];
        macsXY = new double[n];
        macsY = new double[n];
        paramsXY = new double[n];
        paramsY = new double[n];
        params0 = new double[n];
        scalesY = new double[n];
        scales0 = new double[n];
        blockRowsY = new double[n];
        blockKX = new double[n];
        blockRows0 = new double[n];
        blockKY = new double[n];
        inElems = new double[n];
        outElems = new double[n];
        positions = new double[n];
        baseN = new double[n];
        baseK = new double[n];
        outScaled = new boolean[n];
        producer = new int[n];
        fusedInto = new int[n];

        var index = new HashMap<String, Integer>();
        var produces = new HashMap<String, Integer>();
        var memberships = new HashMap<String, java.util.EnumMap<DependencyGroup.Role, List<Integer>>>(); // layer -> role -> groups
        var members = new HashMap<String, java.util.EnumMap<DependencyGroup.Role, List<DependencyGroup.Member>>>();
        for (int g = 0; g < groups.size(); g++) {
            for (DependencyGroup.Member m : groups.get(g).members()) {
                if (m.role() == DependencyGroup.Role.PRODUCER) produces.put(m.layer(), g);
                memberships.computeIfAbsent(m.layer(), k -> new java.util.EnumMap<>(DependencyGroup.Role.class))
                        .computeIfAbsent(m.role(), k -> new ArrayList<>()).add(g);
                members.computeIfAbsent(m.layer(), k -> new java.util.EnumMap<>(DependencyGroup.Role.class))
                        .computeIfAbsent(m.role(), k -> new ArrayList<>()).add(m);
            }
        }

        for (int i = 0; i < n; i++) {
            LayerNode node = nodes.get(i);
            index.put(node.name(), i);
            names[i] = node.name();
            types[i] = node.type();
            Integer p = index.get(node.inputs().get(0));
            producer[i] = p == null ? -1 : p;
            fusedInto[i] = -1;
            var roles = memberships.getOrDefault(node.name(), new java.util.EnumMap<>(DependencyGroup.Role.class));
            var roleMembers = members.getOrDefault(node.name(), new java.util.EnumMap<>(DependencyGroup.Role.class));
            List<Integer> consumed = roles.getOrDefault(DependencyGroup.Role.CONSUMER, List.of());
            xShare[i] = Share.of(consumed, roleMembers.getOrDefault(DependencyGroup.Role.CONSUMER, List.of()), groups, node.inShape().features());
            Share followed = Share.of(roles.getOrDefault(DependencyGroup.Role.FOLLOWER, List.of()),
                    roleMembers.getOrDefault(DependencyGroup.Role.FOLLOWER, List.of()), groups, node.outShape().features());
            Integer produce = produces.get(node.name());
            yShare[i] = produce != null ? new Share(0, new int[]{produce}, new double[]{1}) : followed;
            inShare[i] = consumed.isEmpty() ? followed : xShare[i];
            for (String in : node.inputs()) {
                inElems[i] += graph.inputs().containsKey(in) ? graph.inputs().get(in).elements() : graph.node(in).outShape().elements();
            }
            outElems[i] = node.outShape().elements();
            CostTerms terms = node.op().costTerms(node);
            kind[i] = switch (terms.kind()) {
                case MATMUL -> MATMUL;
                case GATHER -> GATHER;
                case ELEMENTWISE -> ELEMENTWISE;
                case VIEW -> VIEW;
            };
            kernels[i] = terms.kernels();
            macsXY[i] = terms.macsXY();
            macsY[i] = terms.macsY();
            paramsXY[i] = terms.paramsXY();
            paramsY[i] = terms.paramsY();
            params0[i] = terms.params0();
            scalesY[i] = terms.scalesY();
            scales0[i] = terms.scales0();
            blockRowsY[i] = terms.blockRowsY();
            blockKX[i] = terms.blockKX();
            blockRows0[i] = terms.blockRows0();
            blockKY[i] = terms.blockKY();
            baseN[i] = terms.baseN();
            baseK[i] = terms.baseK();
            positions[i] = terms.positions();
            outScaled[i] = terms.outputScales();
            if (!terms.readsInput()) inElems[i] = 0;
            // the graph's deployed blocks: costing a fused batch norm or activation as a separate kernel would charge a
            // launch and a round trip through memory that no deployed model pays
            var head = graph.fusedInto(node.name());
            if (head.isPresent()) {
                kind[i] = FUSED;
                kernels[i] = 0;
                fusedInto[i] = index.get(head.get());
            }
        }
        // A runtime stores values only in widths it has: 4-bit activations on an H100 (no int4 path) are written as
        // int8, and 4-bit weights on the Edge TPU (int8 tensors only) take a full byte. Where the profile lists a
        // width (packed low-bit weights on GPUs and CPUs), the plan's bits save storage and traffic.
        weightStorage = containers(profile.weightBits());
        actStorage = containers(profile.activationBits());
        int groupCount = groups.size();
        scratch = ThreadLocal.withInitial(() -> new Scratch(new int[n], new int[n], new double[groupCount]));
    }

    private static int[] containers(java.util.Set<Integer> widths) {
        int[] table = new int[33];
        for (int bits = 1; bits <= 32; bits++) {
            table[bits] = -1;
            for (int b : widths) {
                if (b >= bits) {
                    table[bits] = b;
                    break;
                }
            }
        }
        return table;
    }

    /** Precomputes the per-layer coefficients of a graph for one device. */
    public static CostModel of(LayerGraph graph, HardwareProfile profile) {
        return new CostModel(graph, profile);
    }

    public HardwareProfile profile() {
        return profile;
    }

    public LayerGraph graph() {
        return graph;
    }

    /** Totals only: what the search calls per candidate. */
    public PlanCost.Totals totals(CompressionPlan plan, int batch) {
        return run(plan, batch, null);
    }

    /**
     * The objective values the search reads, keyed as {@code results.Objective} names them ({@code latency_ms}, {@code energy_mj},
     * {@code size_mb}, {@code peak_memory_mb}), plus {@code peak_memory_slack_mb} (&lt;= 0 when the plan fits the
     * device's memory) and {@code unsupported_layers}.
     */
    public java.util.Map<String, Double> objectives(CompressionPlan plan, int batch) {
        PlanCost.Totals t = totals(plan, batch);
        var m = new java.util.LinkedHashMap<String, Double>();
        m.put(Objective.LATENCY_MS.key(), t.latencyMs());
        m.put(Objective.ENERGY_MJ.key(), t.energyMj());
        m.put(Objective.SIZE_MB.key(), t.sizeMb());
        m.put(Objective.PEAK_MEMORY_MB.key(), t.peakMemoryMb());
        m.put("peak_memory_slack_mb", t.peakMemoryMb() - profile.memoryCapacity() / 1e6);
        m.put("unsupported_layers", (double) t.unsupported());
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Totals, per-layer detail and warnings. */
    public PlanCost cost(CompressionPlan plan, int batch) {
        var layers = new LayerCost[n];
        PlanCost.Totals totals = run(plan, batch, layers);
        return new PlanCost(profile.name(), graphName, batch, totals, List.of(layers), warnings(plan, batch, totals, layers));
    }

    private PlanCost.Totals run(CompressionPlan plan, int batch, LayerCost[] detail) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        Scratch s = scratch.get();
        int[] wb = s.w(), ab = s.a();
        double[] frac = s.frac();
        for (int g = 0; g < frac.length; g++) {
            DependencyGroup group = groups.get(g);
            frac[g] = plan.keptUnits(graph, group, 1) / (double) group.units();
        }
        // Pass 1: bits, stored weights (size), and the weights that compete for on-chip memory.
        double stored = 0, streamable = 0;
        for (int i = 0; i < n; i++) {
            CompressionPlan.LayerPlan lp = plan.forLayer(names[i]);
            wb[i] = lp.weightBits();
            ab[i] = lp.actBits();
            double fx = xShare[i].of(frac), fy = yShare[i].of(frac);
            double w = weightBytes(i, fx, fy, stored(weightStorage, wb[i]));
            stored += w;
            if (kind[i] == MATMUL) streamable += w;
        }
        // Weights that fit on-chip stay there between inferences (the Edge TPU caches up to ~8 MB of parameters and
        // streams the rest over its host link on every inference); only the remainder is read off-chip.
        double streamed = streamable <= profile.onChipMemory() ? 0 : 1 - profile.onChipMemory() / streamable;

        double latency = 0, energy = 0, peakActivations = 0;
        long totalMacs = 0;
        int unsupported = 0;
        double eff = profile.efficiency(), bandwidth = profile.memoryBandwidth();
        double staticPower = profile.staticPower(), eDram = profile.dramEnergyPerByte() * 1e-12;
        for (int i = 0; i < n; i++) {
            double fx = xShare[i].of(frac), fy = yShare[i].of(frac), fin = inShare[i].of(frac);
            int w = wb[i], a = ab[i], aIn = producer[i] < 0 ? a : ab[producer[i]];
            int aStored = stored(actStorage, a), wStored = stored(weightStorage, w);
            double actBytes = batch * (inElems[i] * fin * stored(actStorage, aIn) + outElems[i] * (outScaled[i] ? fy : 1) * aStored) / 8.0;
            peakActivations = Math.max(peakActivations, actBytes);
            Format format = profile.computeFormat(w, a);
            boolean bad = kind[i] != VIEW && (format == null || actStorage[a] < 0 || (hasWeights(i) && weightStorage[w] < 0));
            if (bad) unsupported++;
            if (format == null) format = profile.widestFormat();
            HardwareProfile.FormatSpec spec = profile.spec(format);
            double macs = batch * (macsXY[i] * fx * fy + macsY[i] * fy);
            double traffic = 0, computeTime = 0, cachedReadTime = 0;
            switch (kind[i]) {
                case MATMUL -> {
                    double weights = weightBytes(i, fx, fy, wStored);
                    traffic = weights * streamed + (profile.activationsOnChip() ? 0 : actBytes);
                    // the cached part is read too, at on-chip speed: what bounds a batch-1 dense layer on a CPU
                    if (profile.onChipBandwidth() > 0) cachedReadTime = weights * (1 - streamed) / profile.onChipBandwidth();
                    double cols = Math.max(1, Math.round(baseN[i] * fy)), depth = Math.max(1, Math.round(baseK[i] * fx));
                    double rows = batch * positions[i];
                    double alignment = aligned(cols, spec.align()) * aligned(depth, spec.align());
                    computeTime = 2 * macs / (spec.peakOps() * eff * alignment * utilization(rows, cols)) + rows * spec.rowOverhead();
                }
                case GATHER -> traffic = batch * outElems[i] * wStored / 8.0 + (profile.activationsOnChip() ? 0 : batch * outElems[i] * aStored / 8.0);
                case ELEMENTWISE -> traffic = profile.activationsOnChip() ? 0 : actBytes + weightBytes(i, fx, fy, wStored);
                default -> { } // fused into its producer, or a view: free
            }
            double memoryTime = traffic / bandwidth + cachedReadTime;
            double t = Math.max(computeTime, memoryTime) + kernels[i] * spec.kernelOverhead();
            double e = 0;
            if (macs > 0) {
                // Narrower operands than the format's native width toggle fewer multiplier bits (the energy term's
                // w*a/native^2); float formats run dequantized integers at full width, so no saving there.
                double ratio = format.integer() ? Math.min(1, (double) wStored * aStored / ((double) format.bits() * format.bits())) : 1;
                e = macs * spec.energyPerMac() * 1e-12 * ratio;
            }
            e += traffic * eDram + staticPower * t;
            latency += t;
            energy += e;
            totalMacs += (long) macs;
            if (detail != null) {
                detail[i] = new LayerCost(names[i], types[i], format.key(),
                        computeTime >= memoryTime && macs > 0 ? LayerCost.Bound.COMPUTE : LayerCost.Bound.MEMORY,
                        t * 1e3, e * 1e3, (long) macs, (long) traffic, w, a, fusedInto[i] < 0 ? null : names[fusedInto[i]]);
            }
        }
        double peak = stored + peakActivations;
        return new PlanCost.Totals(latency * 1e3, energy * 1e3, stored / 1e6, peak / 1e6, totalMacs, unsupported,
                peak <= profile.memoryCapacity());
    }

    /** Stored width of plan bits, or the plan's own bits when the device has no container (flagged elsewhere). */
    private static int stored(int[] table, int bits) {
        return table[bits] < 0 ? bits : table[bits];
    }

    private boolean hasWeights(int i) {
        return paramsXY[i] + paramsY[i] + params0[i] > 0;
    }

    /**
     * Stored bytes of a layer's parameters at w bits, plus a 4-byte scale per output channel when quantized (per block of
     * a MatMulNBits weight).
     */
    private double weightBytes(int i, double fx, double fy, int w) {
        double params = paramsXY[i] * fx * fy + paramsY[i] * fy + params0[i];
        boolean nbits = w <= 4 && blockRowsY[i] * fy * blockKX[i] * fx >= Deployment.NBITS_FROM_WEIGHTS;
        double perScale = nbits ? blocked(i, fx, fy) : scalesY[i] * fy + scales0[i];
        double scales = w < 16 && params > 0 ? 4 * perScale : 0;
        return params * w / 8.0 + scales;
    }

    private double blocked(int i, double fx, double fy) {
        return blockRowsY[i] * fy * blocks(blockKX[i] * fx) + blockRows0[i] * blocks(blockKY[i] * fy);
    }

    private static double blocks(double k) {
        return k <= 0 ? 0 : Math.ceil(k / Deployment.nbitsBlock((int) Math.ceil(k)));
    }

    /** Fraction of a padded dimension that is real work: {@code c / ceil_to(c, align)}. */
    private static double aligned(double c, int align) {
        return c / (Math.ceil(c / align) * align);
    }

    /** Wave quantization: output tiles spread over compute units; a last, partial wave leaves units idle. */
    private double utilization(double rows, double cols) {
        double tiles = Math.ceil(rows / profile.tileRows()) * Math.ceil(cols / profile.tileCols());
        int units = profile.computeUnits();
        return tiles / (Math.ceil(tiles / units) * units);
    }

    private List<String> warnings(CompressionPlan plan, int batch, PlanCost.Totals totals, LayerCost[] layers) {
        var out = new ArrayList<String>();
        String device = profile.name();
        var noFormat = new LinkedHashMap<String, List<String>>();
        var weights = new LinkedHashMap<String, List<String>>();
        var acts = new LinkedHashMap<String, List<String>>();
        for (int i = 0; i < n; i++) {
            if (kind[i] == VIEW) continue;
            int w = layers[i].weightBits(), a = layers[i].actBits();
            if (profile.computeFormat(w, a) == null) noFormat.computeIfAbsent("w" + w + "/a" + a, k -> new ArrayList<>()).add(names[i]);
            if (hasWeights(i) && weightStorage[w] != w) weights.computeIfAbsent(storage("weights", w, weightStorage), k -> new ArrayList<>()).add(names[i]);
            if (actStorage[a] != a) acts.computeIfAbsent(storage("activations", a, actStorage), k -> new ArrayList<>()).add(names[i]);
        }
        noFormat.forEach((bits, layerNames) -> out.add(String.format(Locale.ROOT,
                "unsupported: %s on %s: %s computes only %s; costed as %s", bits, listed(layerNames), device,
                String.join("/", profile.formatKeys()), profile.widestFormat().key())));
        weights.forEach((what, layerNames) -> out.add(what + " on " + listed(layerNames)
                + " (" + device + " stores weight bits " + profile.weightBits() + ")"));
        acts.forEach((what, layerNames) -> out.add(what + " on " + listed(layerNames)
                + " (" + device + " stores activation bits " + profile.activationBits() + ")"));
        if (!totals.fitsMemory()) {
            out.add(String.format(Locale.ROOT, "does not fit: peak memory %.1f MB exceeds %s's %.1f MB at batch %d",
                    totals.peakMemoryMb(), device, profile.memoryCapacity() / 1e6, batch));
        }
        double[] fractions = new double[groups.size()];
        for (int g = 0; g < fractions.length; g++) fractions[g] = fraction(plan, g);
        double streamable = 0;
        for (int i = 0; i < n; i++) {
            if (kind[i] != MATMUL) continue;
            double fx = xShare[i].of(fractions), fy = yShare[i].of(fractions);
            streamable += weightBytes(i, fx, fy, stored(weightStorage, layers[i].weightBits()));
        }
        // Only for accelerators that plan the whole model into on-chip memory (the Edge TPU): there, spilling is the
        // cliff users must know about; on CPUs and GPUs caches spill gradually and the roofline already shows it.
        if (profile.activationsOnChip() && streamable > profile.onChipMemory()) {
            out.add(String.format(Locale.ROOT, "weights (%.1f MB) exceed %s's on-chip memory (%.1f MB): %.1f MB are streamed "
                            + "at %.0f MB/s on every inference", streamable / 1e6, device, profile.onChipMemory() / 1e6,
                    (streamable - profile.onChipMemory()) / 1e6, profile.memoryBandwidth() / 1e6));
        }
        return out;
    }

    private static String storage(String what, int bits, int[] table) {
        return table[bits] < 0 ? "unsupported: " + bits + "-bit " + what
                : "widened: " + bits + "-bit " + what + " stored as " + table[bits] + "-bit, no saving below that";
    }

    private double fraction(CompressionPlan plan, int g) {
        DependencyGroup group = groups.get(g);
        return plan.keptUnits(graph, group, 1) / (double) group.units();
    }

    private static String listed(List<String> layerNames) {
        if (layerNames.size() <= 3) return String.join(", ", layerNames);
        return String.join(", ", layerNames.subList(0, 3)) + " and " + (layerNames.size() - 3) + " more layers";
    }

    /** Layer names in cost order, for callers that index results. */
    public List<String> layerNames() {
        return List.of(names);
    }
}
