package dev.squeeze.cli;

import dev.squeeze.hardware.Calibration;
import dev.squeeze.hardware.Costing;
import dev.squeeze.hardware.Format;
import dev.squeeze.hardware.HardwareProfile;
import dev.squeeze.hardware.LayerCost;
import dev.squeeze.hardware.PlanCost;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Terminal tables for {@code cost} and {@code profiles}. */
final class CostTables {
    private CostTables() {}

    static String cost(PlanCost c) {
        var rows = new ArrayList<List<String>>();
        for (LayerCost l : c.layers()) {
            boolean fused = l.fusedInto() != null;
            rows.add(List.of(l.name(), l.type(), "w" + l.weightBits() + "a" + l.actBits(), l.format(),
                    fused ? "fused" : l.bound().key(), fmt("%.4f", l.latencyMs()), fmt("%.4f", l.energyMj()),
                    fmt("%,d", l.macs()), fmt("%,d", l.bytes())));
        }
        var t = c.total();
        var sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s on %s, batch %d%n%n", c.model(), c.device(), c.batch()));
        sb.append(Tables.render(List.of("layer", "type", "bits", "format", "bound", "latency ms", "energy mJ", "MACs", "bytes"), rows));
        sb.append(String.format(Locale.ROOT, "%ntotal: latency %.4f ms, energy %.4f mJ, size %.3f MB, peak memory %.3f MB, %,d MACs%n",
                t.latencyMs(), t.energyMj(), t.sizeMb(), t.peakMemoryMb(), t.macs()));
        if (!c.warnings().isEmpty()) {
            sb.append("\nwarnings:\n");
            for (String w : c.warnings()) sb.append("  - ").append(w).append('\n');
        }
        return sb.toString();
    }

    static String benchmark(Costing.Benchmark b) {
        return String.format(Locale.ROOT, "%s (%d layers) on %s, %,d costings of %d random plans, one thread:%n"
                        + "  totals (search path):        %,.0f plans/s%n  per-layer detail + warnings: %,.0f plans/s",
                b.model(), b.layers(), b.device(), b.costings(), b.plans(), b.totalsPerSecond(), b.detailedPerSecond());
    }

    static String profiles(List<HardwareProfile> profiles) {
        var rows = new ArrayList<List<String>>();
        for (HardwareProfile p : profiles) {
            rows.add(List.of(p.name(), peak(p, Format.FP32), peak(p, Format.FP16, Format.BF16), peak(p, Format.INT8), peak(p, Format.INT4),
                    fmt("%.1f", p.memoryBandwidth() / 1e9), fmt("%.1f", p.staticPower()), p.description()));
        }
        return Tables.render(List.of("device", "fp32 TOPS", "16-bit TOPS", "int8 TOPS", "int4 TOPS", "GB/s", "idle W", "description"), rows)
                + "\nPeak dense rates (1 MAC = 2 ops). `squeeze profiles show NAME` prints a profile with the source of every figure.";
    }

    private static String peak(HardwareProfile p, Format... formats) {
        for (Format f : formats) {
            if (p.formats().containsKey(f)) return fmt("%.3g", p.spec(f).peakOps() / 1e12);
        }
        return "-";
    }

    static String calibration(Calibration.Result r) {
        var sb = new StringBuilder();
        for (Calibration.Measurement m : r.measurements()) {
            sb.append(String.format(Locale.ROOT, "  %-28s %14.4g  %s%n", m.name(), m.value(), m.how()));
        }
        boolean local = r.out().normalize().equals(java.nio.file.Path.of("hardware-profiles", "local-cpu.yaml"));
        return "measured:\n" + sb + "\nwrote " + r.out() + " (use it with --device " + (local ? "local-cpu" : r.out().toString()) + ")";
    }

    private static String fmt(String pattern, Object value) {
        return String.format(Locale.ROOT, pattern, value);
    }
}
