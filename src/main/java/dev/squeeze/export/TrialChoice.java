package dev.squeeze.export;

import dev.squeeze.SqueezeException;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Trial;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which trial of a run to export: one named by id, or the best feasible trial by an objective among those
 * within the given limits (e.g. {@code --max-latency-ms 0.2 --best accuracy}). Immutable.
 *
 * @param trialId an exact trial id, or null to use the rule
 * @param limits  objective -> bound (max for minimised objectives, min for accuracy)
 * @param best    the objective to optimise among the trials within the limits
 */
public record TrialChoice(String trialId, Map<Objective, Double> limits, Objective best) {
    public TrialChoice {
        limits = Map.copyOf(limits);
    }

    public static TrialChoice of(String trialId) {
        return new TrialChoice(trialId, Map.of(), null);
    }

    public Trial pick(List<Trial> trials, String run) {
        if (trialId != null) {
            return trials.stream().filter(t -> t.id().equals(trialId)).findFirst().orElseThrow(() -> new SqueezeException(
                    "run " + run + " has no trial '" + trialId + "'; its trials: " + ids(trials)));
        }
        if (best == null) throw new SqueezeException("export: give --trial ID or a rule ending in --best OBJECTIVE (e.g. --max-latency-ms 0.2 --best accuracy)");
        var within = new ArrayList<Trial>();
        for (Trial t : trials) {
            if (!t.feasible() || !t.values().containsKey(best.key())) continue;
            boolean ok = limits.entrySet().stream().allMatch(l -> {
                Objective o = l.getKey();
                Double v = t.values().get(o.key());
                return v != null && (o.maximize() ? v >= l.getValue() : v <= l.getValue());
            });
            if (ok) within.add(t);
        }
        Comparator<Trial> byBest = Comparator.comparingDouble(t -> t.value(best));
        return within.stream().max(best.maximize() ? byBest : byBest.reversed()).orElseThrow(() -> new SqueezeException(
                "run " + run + ": no feasible trial within " + describe() + "; loosen the limits (`squeeze report " + run + "` shows the front)"));
    }

    public String describe() {
        var parts = new LinkedHashMap<String, String>();
        for (Objective o : Objective.values()) { // in objective order, whatever order the limits came in
            if (limits.containsKey(o)) parts.put(o.key(), (o.maximize() ? ">= " : "<= ") + limits.get(o));
        }
        return parts.isEmpty() ? "no limits" : parts.toString();
    }

    private static String ids(List<Trial> trials) {
        var ids = trials.stream().map(Trial::id).toList();
        return ids.size() <= 30 ? String.join(", ", ids) : String.join(", ", ids.subList(0, 30)) + ", ... (" + ids.size() + " in all)";
    }
}
