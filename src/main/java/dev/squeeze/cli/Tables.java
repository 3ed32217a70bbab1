package dev.squeeze.cli;

import dev.squeeze.model.Inspection;
import dev.squeeze.results.RunReport;

import java.util.ArrayList;
import java.util.List;

/** Plain-text tables for the terminal. */
final class Tables {
    private Tables() {}

    /** Left-aligns the first column, right-aligns the rest, pads to the widest cell. */
    static String render(List<String> header, List<List<String>> rows) {
        return render(header, rows, false);
    }

    /** As above; {@code lastLeft} left-aligns the last column too (free text such as a plan). */
    static String render(List<String> header, List<List<String>> rows, boolean lastLeft) {
        int[] width = new int[header.size()];
        var all = new ArrayList<List<String>>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) width[i] = Math.max(width[i], r.get(i).length());
        }
        var sb = new StringBuilder();
        for (int k = 0; k < all.size(); k++) {
            List<String> r = all.get(k);
            for (int i = 0; i < r.size(); i++) {
                String cell = r.get(i);
                String pad = " ".repeat(width[i] - cell.length());
                boolean left = i == 0 || (lastLeft && i == r.size() - 1);
                sb.append(left ? (i + 1 < r.size() ? cell + pad : cell) : pad + cell).append(i + 1 < r.size() ? "  " : "");
            }
            sb.append('\n');
            if (k == 0) {
                for (int i = 0; i < width.length; i++) sb.append("-".repeat(width[i])).append(i + 1 < width.length ? "  " : "");
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    static String report(RunReport r, java.nio.file.Path html) {
        var sb = new StringBuilder(r.summary()).append("\n\n");
        sb.append(render(r.frontTable().header(), r.frontTable().rows(), true)).append('\n');
        sb.append(render(r.baselineTable().header(), r.baselineTable().rows(), true)).append('\n');
        sb.append("accuracy: drop_pt is percentage points below the uncompressed baseline; fidelity says how it was measured\n");
        r.rankAgreement().forEach(a -> sb.append("ranking ").append(a.describe()).append('\n'));
        if (!r.workers().isEmpty()) sb.append("\nevaluations per worker:\n").append(render(r.workerTable().header(), r.workerTable().rows(), false));
        return sb.append("report: ").append(html).append('\n').toString();
    }

    static String inspect(Inspection.Report r) {
        var rows = new ArrayList<List<String>>();
        for (Inspection.Layer l : r.layers()) {
            rows.add(List.of(l.name(), l.type(), shape(l.inputShape()) + " -> " + shape(l.outputShape()),
                    String.format("%,d", l.params()), String.format("%,d", l.macs()),
                    l.prunableUnits() > 0 ? l.prunableUnits() + " " + l.unit() : "-"));
        }
        var sb = new StringBuilder();
        sb.append(r.name()).append("  (").append(r.source()).append(")\n\n");
        sb.append(render(List.of("layer", "type", "shape", "params", "MACs", "prunable"), rows));
        sb.append(String.format("%ntotal: %,d params, %,d MACs per example", r.params(), r.macs()));
        if (r.embeddingParams() > 0) {
            sb.append(String.format(" (%,d in embeddings, %,d outside them)", r.embeddingParams(), r.nonEmbeddingParams()));
        }
        sb.append('\n');
        if (!r.groups().isEmpty()) {
            sb.append("\ndependency groups (pruned together):\n");
            for (Inspection.Group g : r.groups()) {
                sb.append(String.format("  %s: %d %s;%s producers %s; followers %s; consumers %s%n", g.id(), g.units(), g.unit(),
                        g.residualAdds().isEmpty() ? "" : " residual add " + String.join(", ", g.residualAdds()) + ";",
                        g.producers(), g.followers(), g.consumers()));
            }
        }
        if (r.card() != null) {
            var c = r.card();
            sb.append(String.format("%ncard: test accuracy %s on %d images (%s), seed %d, %d epochs, %.0f s%n  reproduce: %s%n",
                    c.testAccuracy() == null ? "- (no labels)" : String.format("%.4f", c.testAccuracy()), c.testExamples(), c.data().source(), c.seed(), c.epochs(), c.trainSeconds(), c.command()));
        }
        return sb.toString();
    }

    /** {@code inspect --data}: the source, its shape and classes, each split as found and as commands cut it, and what was skipped. */
    static String inspectData(dev.squeeze.data.DataInspection.Report r) {
        var sb = new StringBuilder();
        sb.append(String.format("%s data (%s: %s)%n", r.format(), r.source(), r.location()));
        sb.append(String.format("samples: %s %s, scaled by %s, mean %s, std %s%n", r.shape(), r.storage(), r.scale(), r.mean(), r.std()));
        var names = r.classes().size() <= 20 ? String.join(", ", r.classes())
                : String.join(", ", r.classes().subList(0, 10)) + ", ... " + r.classes().get(r.classes().size() - 1);
        sb.append(r.labelled() ? String.format("classes: %d (%s)%n", r.classes().size(), names) : "labels: none\n");
        // up to a dozen classes are columns of the split table; more are rows of a table of their own
        boolean wide = r.labelled() && r.classes().size() <= 12;
        var header = new ArrayList<>(List.of("split", "samples", "min", "max"));
        if (wide) header.addAll(r.classes());
        header.add("from");
        var rows = new ArrayList<List<String>>();
        for (var s : r.splits()) {
            var row = new ArrayList<>(List.of(s.name(), String.format("%,d", s.count()), String.format("%.4g", s.min()), String.format("%.4g", s.max())));
            if (wide) for (int n : s.perClass()) row.add(String.format("%,d", n));
            row.add(s.from());
            rows.add(row);
        }
        sb.append('\n').append(render(header, rows, true));
        if (r.labelled() && !wide) {
            var classHeader = new ArrayList<>(List.of("class"));
            r.splits().forEach(s -> classHeader.add(s.name()));
            var classRows = new ArrayList<List<String>>();
            for (int c = 0; c < r.classes().size(); c++) {
                var row = new ArrayList<>(List.of(r.classes().get(c)));
                for (var s : r.splits()) row.add(String.format("%,d", s.perClass()[c]));
                classRows.add(row);
            }
            sb.append('\n').append(render(classHeader, classRows));
        }
        var c = r.cut();
        sb.append(String.format("%ncommands cut it (seed %d): train %,d (%s), calibration %,d (%s), test %,d (%s)%n",
                c.seed(), c.train(), c.trainFrom(), c.calibration(), c.calibrationFrom(), c.test(), c.testFrom()));
        if (r.skipped().isEmpty()) {
            sb.append("skipped: nothing\n");
        } else {
            sb.append(String.format("skipped: %d files%n", r.skipped().size()));
            for (var s : r.skipped()) sb.append("  ").append(s.file()).append(": ").append(s.reason()).append('\n');
        }
        return sb.toString();
    }

    /** The front and the baselines beside it, as the search prints them at the end. */
    static String front(dev.squeeze.results.FrontReport f) {
        var keys = f.objectives().stream().map(dev.squeeze.results.FrontReport.ObjectiveKey::name).toList();
        var header = new ArrayList<String>(List.of("trial", "fidelity"));
        header.addAll(keys);
        header.add("plan");
        var rows = new ArrayList<List<String>>();
        var points = f.feasible() ? f.front() : f.leastViolating();
        for (var p : points) rows.add(row(p.id(), p.fidelity().key(), p.values(), keys, dev.squeeze.results.FrontReport.compact(p.plan())));
        for (var b : f.baselines()) rows.add(row(b.name(), "baseline", b.values(), keys, ""));
        String title = f.feasible() ? "Pareto front (" + f.front().size() + " plans of " + f.trials() + " trials)"
                : f.trials() == 0 ? "no trials yet" // a run stopped before its first generation finished
                : "no plan met the constraints; least-violating plans:";
        return title + "\n" + render(header, rows);
    }

    private static List<String> row(String id, String fidelity, java.util.Map<String, Double> values, List<String> keys, String plan) {
        var r = new ArrayList<String>(List.of(id, fidelity));
        for (String k : keys) r.add(values.containsKey(k) ? String.format("%.4g", values.get(k)) : "-");
        r.add(plan);
        return r;
    }

    private static String shape(List<Integer> dims) {
        return String.join("x", dims.stream().map(String::valueOf).toList());
    }
}
