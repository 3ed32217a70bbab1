package dev.squeeze.results;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.model.CompressionPlan.LayerPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * {@code report.html}: one self-contained page (inline SVG drawn here, a little inline CSS and JS, nothing
 * fetched), so it opens offline and can be mailed. Every plot has an id and every mark a class and
 * {@code data-trial}, so tests and scripts can find them; hovering shows a mark's values (SVG title),
 * clicking shows the export command for its trial.
 */
final class ReportHtml {
    private ReportHtml() {}


    /** Per-layer settings the heatmaps show; strength maps a value to 0 (untouched) .. 1 (most compressed). */
    private record Knob(String key, ToDoubleFunction<LayerPlan> value, java.util.function.DoubleUnaryOperator strength) {}

    private static final List<Knob> KNOBS = List.of(
            new Knob("prune_ratio", LayerPlan::pruneRatio, r -> r / 0.9),
            new Knob("weight_bits", LayerPlan::weightBits, b -> (5 - log2(b)) / 4),
            new Knob("act_bits", LayerPlan::actBits, b -> (5 - log2(b)) / 4));

    static String of(RunReport r) {
        var sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>squeeze report: ").append(esc(r.run()))
                .append("</title>\n<style>").append(CSS).append("</style></head>\n<body id=\"report-body\" data-run=\"").append(esc(r.ref())).append("\">\n");
        sb.append("<h1>squeeze report: ").append(esc(r.run())).append("</h1>\n<p>").append(esc(r.summary())).append("</p>\n");
        if (r.job() != null) {
            sb.append("<p class=\"job\">").append(esc(text(r.job(), "model"))).append(" on ").append(esc(text(r.job(), "device")))
                    .append(" · objectives ").append(esc(text(r.job(), "objectives"))).append(" · constraints ")
                    .append(esc(text(r.job(), "constraints"))).append("</p>\n");
        }
        if (r.skipped() != null) sb.append("<p class=\"warn\">").append(esc(r.skipped())).append("</p>\n");
        sb.append("<div id=\"export\">Click a point or a row for its export command.</div>\n");
        sb.append("<p class=\"note\">The export writes <code>exports/&lt;trial&gt;/manifest.json</code> with <b>predicted</b> figures "
                + "(this report's: the device profile's latency, energy and size) and <b>measured</b> ones (the written model.onnx timed in "
                + "ONNX Runtime on the machine that exports it, beside uniform int8, batch 1, one thread; and its accuracy on the test split).</p>\n");

        sb.append("<h2>").append(r.front().feasible() ? "Pareto front" : "No feasible plan: least-violating plans").append("</h2>\n");
        sb.append(table("front", r.frontTable(), true)).append("<h3>Baselines</h3>\n").append(table("baselines", r.baselineTable(), false));

        sb.append("<h2>Accuracy against cost</h2>\n<p class=\"note\">Grey: every trial (hollow: infeasible); blue: ")
                .append(r.front().feasible() ? "the front" : "the least-violating plans").append("; diamonds: baselines. The front is non-dominated over all objectives at once, so in one projection some of its points can look dominated. "
                        + "The accuracy axis spans the front and the baselines: trials below it are drawn on its lower edge as triangles (hover for their values).</p>\n<div class=\"row\">\n");
        for (String key : r.valueKeys()) if (!key.equals(r.quality().key()) && !key.equals(Objective.PEAK_MEMORY_MB.key())) sb.append(scatter(r, key));
        sb.append("</div>\n");

        sb.append("<h2>Per-layer plan of each front member</h2>\n<div class=\"row\">\n");
        List<String> layers = layers(r.members(), r.provenance());
        for (Knob k : KNOBS) sb.append(heatmap(r.members(), layers, k));
        sb.append("</div>\n");

        sb.append("<h2>Hypervolume per generation</h2>\n").append(hypervolume(r.generations()));

        sb.append("<h2>How well the search's accuracy model predicted the plans it proposed</h2>\n").append(surrogate(r.generations()));

        sb.append("<h2>How well each fidelity rung ranked the next</h2>\n<table id=\"rank-agreement\"><tr><th>from</th><th>to</th><th>plans</th><th>Kendall tau</th></tr>\n");
        for (RunReport.RankAgreement a : r.rankAgreement()) {
            sb.append("<tr><td>").append(a.from()).append("</td><td>").append(a.to()).append("</td><td>").append(a.pairs()).append("</td><td>")
                    .append(a.tau() == null ? "not enough data" : String.format("%.3f", a.tau())).append("</td></tr>\n");
        }
        sb.append("</table>\n<p class=\"note\">Each trial shows the fidelity its values were measured at: a predicted or measured accuracy is a proxy, not a result.</p>\n");

        if (!r.workers().isEmpty()) {
            sb.append("<h2>Evaluations per worker</h2>\n").append(table("workers", r.workerTable(), false))
                    .append("<p class=\"note\">Where each evaluation ran (trials.jsonl names the worker of every trial): cache hits and ")
                    .append("predicted-rung trials are not counted.</p>\n");
        }
        sb.append("<h2>Constraint slack</h2>\n").append(slack(r.members()));
        sb.append("<h2>Provenance</h2>\n").append(keyValues("provenance", r.provenance()));
        sb.append("<h3>Job (run.yaml)</h3>\n").append(keyValues("job", r.job()));
        sb.append("<script>").append(JS).append("</script>\n</body></html>\n");
        return sb.toString();
    }

    // ---- plots ------------------------------------------------------------------------------------

    /**
     * Accuracy against one cost: all trials faint, the front on top, baselines as labelled diamonds. The accuracy axis
     * spans the front and the baselines (and any trial above them), so the front's shape shows; trials below are drawn
     * on the lower edge as downward triangles, their values in the tooltip.
     */
    private static String scatter(RunReport r, String xKey) {
        Objective q = r.quality();
        Set<String> members = r.members().stream().map(FrontReport.Point::id).collect(Collectors.toSet());
        var anchors = new ArrayList<Map<String, Double>>();
        r.front().baselines().forEach(b -> anchors.add(b.values()));
        r.members().forEach(p -> anchors.add(p.values()));
        double floor = anchors.stream().filter(v -> plottable(q, v, xKey)).mapToDouble(v -> y(q, v)).min().orElse(Double.NEGATIVE_INFINITY);
        var all = new ArrayList<>(anchors);
        r.trials().forEach(t -> all.add(t.values()));
        List<Map<String, Double>> plotted = all.stream().filter(v -> plottable(q, v, xKey)).toList();
        Axes ax = Axes.around(plotted.stream().mapToDouble(v -> v.get(xKey)).toArray(),
                plotted.stream().mapToDouble(v -> y(q, v)).filter(a -> a >= floor).toArray());
        var sb = new StringBuilder(ax.open("scatter-" + xKey, q.key() + " against " + xKey)).append(ax.frame(xKey, yLabel(q)));
        for (Trial t : r.trials()) {
            if (members.contains(t.id()) || !plottable(q, t.values(), xKey)) continue;
            String cls = "point trial" + (t.feasible() ? "" : " infeasible");
            String tip = tip(t.id() + " · " + t.fidelity().key() + (t.feasible() ? "" : " · infeasible"), t.values());
            sb.append(y(q, t.values()) < ax.y0() ? below(ax, t.values(), xKey, cls + " below", t.id(), tip)
                    : circle(q, ax, t.values(), xKey, cls, t.id(), tip));
        }
        for (FrontReport.Point p : r.members()) {
            if (plottable(q, p.values(), xKey)) {
                sb.append(circle(q, ax, p.values(), xKey, "point front", p.id(), tip(p.id() + " · front · " + p.fidelity().key(), p.values())));
            }
        }
        int i = 0;
        for (FrontReport.Baseline b : r.front().baselines()) {
            if (!plottable(q, b.values(), xKey)) continue;
            double x = ax.px(b.values().get(xKey)), y = ax.py(y(q, b.values()));
            sb.append(String.format("<g class=\"point baseline\" data-baseline=\"%s\"><path d=\"M%.1f %.1f l7 7 -7 7 -7 -7z\"/>"
                            + "<text x=\"%.1f\" y=\"%.1f\">%s</text><title>%s</title></g>\n",
                    esc(b.name()), x, y - 7, x + 9, y + 4 + 12 * (i++ % 3 - 1), esc(b.name()), esc(tip(b.name() + " · baseline", b.values()))));
        }
        return sb.append("</svg>\n").toString();
    }

    private static boolean plottable(Objective q, Map<String, Double> values, String xKey) {
        return values.containsKey(xKey) && values.containsKey(q.key());
    }

    /** The quality axis, higher better: the metric itself, or exp(-KL) for KL divergence (Objective#toUnit). */
    private static double y(Objective q, Map<String, Double> values) {
        return q.toUnit(values.get(q.key()));
    }

    private static String yLabel(Objective q) {
        return q.maximize() ? q.key() : "exp(-" + q.key() + ")";
    }

    private static String circle(Objective q, Axes ax, Map<String, Double> v, String xKey, String cls, String id, String tip) {
        return String.format("<circle class=\"%s\" data-trial=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"><title>%s</title></circle>\n",
                cls, esc(id), ax.px(v.get(xKey)), ax.py(y(q, v)), cls.contains("front") ? "5" : "3.5", esc(tip));
    }

    /** A trial below the accuracy axis: a small downward triangle on its lower edge. */
    private static String below(Axes ax, Map<String, Double> v, String xKey, String cls, String id, String tip) {
        double x = ax.px(v.get(xKey)), y = ax.py(ax.y0());
        return String.format("<path class=\"%s\" data-trial=\"%s\" d=\"M%.1f %.1f l3.5 -6 -7 0z\"><title>%s</title></path>\n",
                cls, esc(id), x, y, esc(tip));
    }

    /** One heatmap: front members as rows, layers as columns, a knob's value in each cell. */
    private static String heatmap(List<FrontReport.Point> members, List<String> layers, Knob knob) {
        int cell = 38, left = 64, top = 70, w = left + cell * layers.size() + 10, h = top + 22 * members.size() + 10;
        var sb = new StringBuilder(String.format("<svg id=\"heatmap-%s\" class=\"plot heatmap\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">"
                + "<text class=\"title\" x=\"4\" y=\"14\">%s</text>\n", knob.key(), w, h, w, h, knob.key()));
        for (int c = 0; c < layers.size(); c++) {
            sb.append(String.format("<text class=\"layer\" transform=\"translate(%d,%d) rotate(-45)\">%s</text>\n",
                    left + c * cell + cell / 2, top - 6, esc(layers.get(c))));
        }
        for (int row = 0; row < members.size(); row++) {
            FrontReport.Point p = members.get(row);
            int y = top + 22 * row;
            sb.append(String.format("<text class=\"member\" x=\"4\" y=\"%d\">%s</text>\n", y + 15, esc(p.id())));
            for (int c = 0; c < layers.size(); c++) {
                double v = knob.value().applyAsDouble(p.plan().forLayer(layers.get(c)));
                double s = Math.max(0, Math.min(1, knob.strength().applyAsDouble(v)));
                sb.append(String.format("<g class=\"cell\" data-trial=\"%s\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"20\" fill=\"%s\"/>"
                                + "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text><title>%s %s %s: %s</title></g>\n",
                        esc(p.id()), left + c * cell, y, cell - 2, shade(s), left + c * cell + cell / 2 - 1, y + 14,
                        s > 0.6 ? "#fff" : "#222", RunReport.num(v), esc(p.id()), esc(layers.get(c)), knob.key(), RunReport.num(v)));
            }
        }
        return sb.append("</svg>\n").toString();
    }

    /** Hypervolume of the feasible front after each generation, as checkpointed. */
    private static String hypervolume(List<RunReport.Checkpoint> gens) {
        if (gens.isEmpty()) return "<p class=\"missing\">No checkpoints in this run folder.</p>\n";
        Axes ax = Axes.around(gens.stream().mapToDouble(RunReport.Checkpoint::generation).toArray(),
                gens.stream().mapToDouble(RunReport.Checkpoint::hypervolume).toArray());
        var sb = new StringBuilder(ax.open("hypervolume", "hypervolume per generation")).append(ax.frame("generation", "hypervolume"));
        sb.append("<polyline class=\"line\" points=\"");
        gens.forEach(g -> sb.append(String.format("%.1f,%.1f ", ax.px(g.generation()), ax.py(g.hypervolume()))));
        sb.append("\"/>\n");
        for (RunReport.Checkpoint g : gens) {
            sb.append(String.format("<circle class=\"gen\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>generation %d: hypervolume %s, %d new, %d cached, %d trials, %.1f s</title></circle>\n",
                    ax.px(g.generation()), ax.py(g.hypervolume()), g.generation(), RunReport.num(g.hypervolume()),
                    g.evaluatedNew(), g.fromCache(), g.trials(), g.seconds()));
        }
        return sb.append("</svg>\n").toString();
    }

    /**
     * The accuracy model's Kendall tau per generation, from the checkpoints: held out (leave-one-out over the trials it
     * learnt from) and on the plans it proposed, against their measurements; then the same as a table.
     */
    private static String surrogate(List<RunReport.Checkpoint> gens) {
        List<RunReport.Checkpoint> withModel = gens.stream().filter(g -> g.surrogate() != null).toList();
        if (withModel.isEmpty()) {
            return "<p class=\"missing\" id=\"surrogate-agreement\">This run's offspring were not screened by an accuracy model (or it has no checkpoints).</p>\n";
        }
        var taus = new ArrayList<Double>(List.of(0.0, 1.0));
        for (RunReport.Checkpoint g : withModel) {
            if (g.surrogate().heldOutTau() != null) taus.add(g.surrogate().heldOutTau());
            if (g.surrogate().tau() != null) taus.add(g.surrogate().tau());
        }
        Axes ax = Axes.around(withModel.stream().mapToDouble(RunReport.Checkpoint::generation).toArray(),
                taus.stream().mapToDouble(Double::doubleValue).toArray());
        var sb = new StringBuilder("<p class=\"note\">Kendall tau of the model's accuracy against the measured one, per generation: "
                + "<span class=\"heldout\">held out</span> (leave-one-out over every trial it was fitted to) and "
                + "<span class=\"proposed\">on its proposals</span> (predicted before they were measured; narrower, since it proposes plans near the front).</p>\n");
        sb.append(ax.open("surrogate-agreement", "accuracy model agreement per generation")).append(ax.frame("generation", "Kendall tau"));
        for (String series : List.of("heldout", "proposed")) {
            java.util.function.Function<RunReport.Surrogate, Double> value = series.equals("heldout") ? RunReport.Surrogate::heldOutTau : RunReport.Surrogate::tau;
            sb.append("<polyline class=\"line ").append(series).append("\" points=\"");
            withModel.stream().filter(g -> value.apply(g.surrogate()) != null)
                    .forEach(g -> sb.append(String.format("%.1f,%.1f ", ax.px(g.generation()), ax.py(value.apply(g.surrogate())))));
            sb.append("\"/>\n");
            for (RunReport.Checkpoint g : withModel) {
                Double t = value.apply(g.surrogate());
                if (t == null) continue;
                sb.append(String.format("<circle class=\"tau %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>generation %d: %s tau %.2f (%d %s)</title></circle>\n",
                        series, ax.px(g.generation()), ax.py(t), g.generation(), series.equals("heldout") ? "held-out" : "proposals'", t,
                        series.equals("heldout") ? g.surrogate().fittedOn() : g.surrogate().predicted(),
                        series.equals("heldout") ? "trials" : "proposed plans"));
            }
        }
        sb.append("</svg>\n<table id=\"surrogate-table\"><tr><th>generation</th><th>fitted on</th><th>held-out tau</th><th>proposed</th><th>tau on proposals</th></tr>\n");
        for (RunReport.Checkpoint g : withModel) {
            var a = g.surrogate();
            sb.append(String.format("<tr><td>%d</td><td>%d</td><td>%s</td><td>%d</td><td>%s</td></tr>\n", g.generation(), a.fittedOn(),
                    a.heldOutTau() == null ? "-" : String.format("%.3f", a.heldOutTau()), a.predicted(), a.tau() == null ? "-" : String.format("%.3f", a.tau())));
        }
        return sb.append("</table>\n").toString();
    }

    // ---- tables -----------------------------------------------------------------------------------

    private static String table(String id, RunReport.Table t, boolean trials) {
        var sb = new StringBuilder("<table id=\"").append(id).append("\"><tr>");
        t.header().forEach(h -> sb.append("<th>").append(esc(h)).append("</th>"));
        sb.append("</tr>\n");
        for (List<String> row : t.rows()) {
            sb.append(trials ? "<tr data-trial=\"" + esc(row.get(0)) + "\">" : "<tr>");
            row.forEach(c -> sb.append("<td>").append(esc(c)).append("</td>"));
            sb.append("</tr>\n");
        }
        return sb.append("</table>\n").toString();
    }

    /** Slack (limit minus value) of each member per constraint: green when met, red when not. */
    private static String slack(List<FrontReport.Point> members) {
        var keys = new TreeSet<String>();
        members.forEach(p -> keys.addAll(p.slack() == null ? Set.of() : p.slack().keySet()));
        if (keys.isEmpty()) return "<p class=\"missing\" id=\"slack\">The job set no constraints.</p>\n";
        var sb = new StringBuilder("<table id=\"slack\"><tr><th>trial</th>");
        keys.forEach(k -> sb.append("<th>").append(esc(k)).append("</th>"));
        sb.append("<th>violation</th></tr>\n");
        for (FrontReport.Point p : members) {
            sb.append("<tr data-trial=\"").append(esc(p.id())).append("\"><td>").append(esc(p.id())).append("</td>");
            for (String k : keys) {
                Double s = p.slack().get(k);
                sb.append(s == null ? "<td>-</td>" : "<td class=\"" + (s >= 0 ? "met" : "violated") + "\">" + RunReport.num(s) + "</td>");
            }
            sb.append("<td>").append(RunReport.num(p.violation())).append("</td></tr>\n");
        }
        return sb.append("</table>\n").toString();
    }

    /** A JSON/YAML tree as rows of dotted keys and values. */
    private static String keyValues(String id, JsonNode node) {
        if (node == null) return "<p class=\"missing\" id=\"" + id + "\">Not in this run folder.</p>\n";
        var sb = new StringBuilder("<table id=\"").append(id).append("\" class=\"kv\">\n");
        flatten("", node, sb);
        return sb.append("</table>\n").toString();
    }

    private static void flatten(String prefix, JsonNode node, StringBuilder sb) {
        if (node.isObject() && !node.isEmpty()) {
            node.fields().forEachRemaining(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), sb));
        } else {
            sb.append("<tr><th>").append(esc(prefix)).append("</th><td>").append(esc(node.isValueNode() ? node.asText() : node.toString()))
                    .append("</td></tr>\n");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** Linear axes of a 2-D plot: data ranges (padded) to pixels, and the frame with ticks. */
    private record Axes(double x0, double x1, double y0, double y1) {
        static final int W = 420, H = 310, LEFT = 62, RIGHT = 90, TOP = 14, BOTTOM = 42;

        static Axes around(double[] xs, double[] ys) {
            double[] x = padded(xs), y = padded(ys);
            return new Axes(x[0], x[1], y[0], y[1]);
        }

        private static double[] padded(double[] v) {
            double lo = java.util.Arrays.stream(v).min().orElse(0), hi = java.util.Arrays.stream(v).max().orElse(1);
            double pad = hi > lo ? (hi - lo) * 0.06 : Math.max(Math.abs(lo) * 0.1, 1e-3);
            return new double[]{lo - pad, hi + pad};
        }

        double px(double x) {
            return LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
        }

        double py(double y) {
            return H - BOTTOM - (y - y0) / (y1 - y0) * (H - TOP - BOTTOM);
        }

        String open(String id, String label) {
            return String.format("<svg id=\"%s\" class=\"plot\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">\n",
                    id, W, H, W, H, esc(label));
        }

        String frame(String xLabel, String yLabel) {
            var sb = new StringBuilder(String.format("<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
                    LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM));
            for (double t : ticks(x0, x1)) {
                sb.append(String.format("<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/><text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                        px(t), px(t), TOP, H - BOTTOM, px(t), H - BOTTOM + 14, RunReport.num(t)));
            }
            for (double t : ticks(y0, y1)) {
                sb.append(String.format("<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                        LEFT, W - RIGHT, py(t), py(t), LEFT - 4, py(t) + 4, RunReport.num(t)));
            }
            return sb.append(String.format("<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>"
                            + "<text class=\"axis\" transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                    (LEFT + W - RIGHT) / 2, H - 6, esc(xLabel), (TOP + H - BOTTOM) / 2, esc(yLabel))).toString();
        }

        /** About five round tick values inside [lo, hi]. */
        private static List<Double> ticks(double lo, double hi) {
            double raw = (hi - lo) / 5, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
            double step = (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
            var out = new ArrayList<Double>();
            for (double t = Math.ceil(lo / step) * step; t <= hi; t += step) out.add(Math.abs(t) < step * 1e-9 ? 0 : t);
            return out;
        }
    }

    private static String tip(String head, Map<String, Double> values) {
        var sb = new StringBuilder(head);
        new java.util.TreeMap<>(values).forEach((k, v) -> sb.append('\n').append(k).append(' ').append(RunReport.num(v)));
        return sb.toString();
    }

    /** The layers the front's plans name, in the model's graph order (from provenance; by name where unknown). */
    private static List<String> layers(List<FrontReport.Point> members, JsonNode provenance) {
        var named = new TreeSet<String>();
        members.forEach(p -> named.addAll(p.plan().layers().keySet()));
        if (named.isEmpty()) return List.of("*"); // no per-layer entries: the defaults apply everywhere
        var ordered = new ArrayList<String>();
        JsonNode graphOrder = provenance == null ? null : provenance.get("model_layers");
        if (graphOrder != null) graphOrder.forEach(n -> {
            if (named.remove(n.asText())) ordered.add(n.asText());
        });
        ordered.addAll(named);
        return ordered;
    }

    /** White (untouched) to deep orange (most compressed). */
    private static String shade(double s) {
        int r = (int) Math.round(247 + (194 - 247) * s), g = (int) Math.round(247 + (65 - 247) * s), b = (int) Math.round(247 + (12 - 247) * s);
        return String.format("#%02x%02x%02x", r, g, b);
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /** A job field for the header line: scalars as they are, lists joined, constraints as {@code key <= limit}. */
    private static String text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null) return "?";
        var parts = new ArrayList<String>();
        if (v.isArray()) v.forEach(e -> parts.add(e.asText()));
        else if (v.isObject()) v.fields().forEachRemaining(e -> parts.add(e.getKey() + " <= " + RunReport.num(e.getValue().asDouble())));
        else return v.asText();
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }

    private static final String CSS = """
            body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1400px}
            h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
            th{background:#f3f3f3}td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}
            table.kv th{text-align:left;font-weight:normal;color:#555}table.kv td{text-align:left;font-family:monospace}
            tr[data-trial]{cursor:pointer}tr.selected td{background:#fde68a}
            .row{display:flex;flex-wrap:wrap;gap:14px}.note{color:#666}.missing{color:#999}.warn{color:#b45309}
            .job{color:#444}td.met{background:#dcfce7}td.violated{background:#fee2e2}
            #export{position:sticky;top:0;background:#1e293b;color:#e2e8f0;padding:6px 10px;font-family:monospace;z-index:1}
            svg{background:#fff;border:1px solid #e5e5e5}
            .frame{fill:none;stroke:#999}.grid{stroke:#eee}.tick{font-size:10px;fill:#666}.axis{font-size:12px;fill:#333}
            .point{cursor:pointer}.trial{fill:#9ca3af;fill-opacity:.45}.trial.infeasible{fill:none;stroke:#9ca3af;stroke-opacity:.7}
            .front{fill:#2563eb;stroke:#fff;stroke-width:1}.baseline path{fill:#dc2626}.baseline text{font-size:11px;fill:#991b1b}
            .selected{stroke:#f59e0b!important;stroke-width:3!important}
            .line{fill:none;stroke:#2563eb;stroke-width:2}.gen{fill:#2563eb}
            .below{fill:#9ca3af;fill-opacity:.8}.line.proposed{stroke:#ea580c}.tau.heldout{fill:#2563eb}.tau.proposed{fill:#ea580c}
            span.heldout{color:#2563eb}span.proposed{color:#ea580c}
            .heatmap text{font-size:10px}.heatmap .cell text{text-anchor:middle}.heatmap .title{font-size:12px;font-weight:bold}
            """;

    /** Click: show the export command and mark the trial everywhere. Load: record which plots the browser drew. */
    private static final String JS = """
            const run = document.body.dataset.run;
            function select(id) {
              document.getElementById('export').textContent = 'squeeze export ' + run + ' --trial ' + id;
              document.querySelectorAll('.selected').forEach(s => s.classList.remove('selected'));
              document.querySelectorAll('[data-trial="' + id + '"]').forEach(s => s.classList.add('selected'));
            }
            document.querySelectorAll('[data-trial]').forEach(el => el.addEventListener('click', () => select(el.dataset.trial)));
            // report.html#t0012 opens with that trial selected (a link to one plan)
            const linked = location.hash.slice(1);
            if (linked && document.querySelector('[data-trial="' + CSS.escape(linked) + '"]')) select(linked);
            document.querySelectorAll('svg.plot').forEach(svg => {
              const visible = sel => [...svg.querySelectorAll(sel)].filter(e => {
                const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length;
              const box = svg.getBBox();
              svg.dataset.marksDrawn = visible('.point, .cell, .gen, .tau');
              svg.dataset.frontDrawn = visible('.point.front');
              svg.dataset.drawn = box.width > 0 && box.height > 0 && svg.dataset.marksDrawn > 0;
            });
            """;
}
