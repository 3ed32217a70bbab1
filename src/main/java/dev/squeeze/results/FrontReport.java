package dev.squeeze.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.squeeze.model.CompressionPlan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code front.json} holds: the objectives, the non-dominated feasible trials, the baselines beside
 * them (uncompressed, uniform int8, uniform fp16), and, when nothing was feasible, the least-violating
 * plans. Keys as the README's results section lists them; loads straight into pandas.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FrontReport(String run, List<ObjectiveKey> objectives, List<Point> front, List<Baseline> baselines,
                          boolean feasible, List<Point> leastViolating, String stoppedBecause, int trials) {

    public record ObjectiveKey(String name, String direction) {}

    /** One front member. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Point(String id, Map<String, Double> values, Fidelity fidelity, Map<String, Double> slack,
                        double violation, CompressionPlan plan) {
        static Point of(Trial t) {
            return new Point(t.id(), new java.util.TreeMap<>(t.values()), t.fidelity(), t.slack(), t.violation(), t.plan());
        }
    }

    public record Baseline(String name, Map<String, Double> values, CompressionPlan plan) {}

    public static FrontReport of(String run, List<Objective> objectives, List<Trial> trials, List<Baseline> baselines,
                                 String stoppedBecause) {
        List<Trial> front = Fronts.feasible(trials, objectives);
        boolean feasible = !front.isEmpty();
        return new FrontReport(run, objectives.stream().map(o -> new ObjectiveKey(o.key(), o.direction())).toList(),
                front.stream().map(Point::of).toList(), baselines, feasible,
                feasible ? null : Fronts.leastViolating(trials, 5).stream().map(Point::of).toList(),
                stoppedBecause, trials.size());
    }

    /** {@code front.csv}: one row per front member then per baseline, objective columns, a compact plan. */
    public String csv(List<String> valueKeys) {
        var sb = new StringBuilder("kind,id,fidelity");
        for (String k : valueKeys) sb.append(',').append(k);
        sb.append(",plan\n");
        for (Point p : front) row(sb, "front", p.id(), p.fidelity(), p.values(), valueKeys, p.plan());
        for (Baseline b : baselines) row(sb, "baseline", b.name(), Fidelity.MEASURED, b.values(), valueKeys, b.plan());
        return sb.toString();
    }

    private static void row(StringBuilder sb, String kind, String id, Fidelity fidelity, Map<String, Double> values,
                            List<String> keys, CompressionPlan plan) {
        sb.append(kind).append(',').append(id).append(',').append(fidelity.key());
        for (String k : keys) sb.append(',').append(values.containsKey(k) ? String.valueOf(values.get(k)) : "");
        sb.append(",\"").append(compact(plan)).append("\"\n");
    }

    /** {@code conv1:p0.25/w4/a8 conv2:...} (layers that differ from no compression). */
    public static String compact(CompressionPlan plan) {
        var parts = new ArrayList<String>();
        var layers = new LinkedHashMap<>(plan.layers());
        layers.forEach((name, lp) -> {
            if (!lp.equals(CompressionPlan.NONE)) {
                parts.add(name + ":p" + trim(lp.pruneRatio()) + "/w" + lp.weightBits() + "/a" + lp.actBits());
            }
        });
        if (!plan.defaults().equals(CompressionPlan.NONE)) {
            var d = plan.defaults();
            parts.add(0, "*:p" + trim(d.pruneRatio()) + "/w" + d.weightBits() + "/a" + d.actBits());
        }
        parts.add("T" + trim(plan.distillation().temperature()) + "/alpha" + trim(plan.distillation().alpha()));
        return String.join(" ", parts);
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
