package dev.squeeze.search;

import dev.squeeze.ConfigFiles;
import dev.squeeze.SqueezeException;
import dev.squeeze.evaluators.cluster.ClusterSpec;
import dev.squeeze.results.Constraint;
import dev.squeeze.results.Objective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Builds the {@link Job} a command line asks for: a job file plus overrides, or flags alone. */
public final class Searches {
    public static final String DEMO_JOB = "search/demo.yaml";

    private Searches() {}

    /** Flags of {@code squeeze search}; null means "as the job file says". */
    public record Flags(String jobFile, Job.Overrides overrides, List<Objective> objectives, Double maxLatencyMs,
                        Double maxAccuracyDrop, Double maxSizeMb, Double maxEnergyMj) {}

    public static Job resolve(Flags f) {
        Job job;
        if (f.jobFile() != null) {
            job = Job.parse(ConfigFiles.find(f.jobFile(), "search", "job").yaml());
        } else {
            var o = f.overrides();
            if (o.model() == null || o.space() == null || o.device() == null) {
                throw new SqueezeException("give a job file (e.g. search/fashion-cnn-rpi4.yaml), or at least --model, --space and --device");
            }
            job = fromFlags(() -> new Job(o.model() + "-" + o.device(), o.model(), o.space(), "evaluators/default.yaml", o.device(),
                    List.of(Objective.ACCURACY, Objective.LATENCY_MS, Objective.ENERGY_MJ, Objective.SIZE_MB),
                    List.of(), 24, 10, null, 0, 1, Runtime.getRuntime().availableProcessors(), false, 1, null));
        }
        job = job.with(f.overrides());
        List<Objective> objectives = f.objectives() != null && !f.objectives().isEmpty() ? f.objectives() : job.objectives();
        var constraints = new ArrayList<>(job.constraints());
        replace(constraints, Objective.LATENCY_MS.key(), f.maxLatencyMs());
        replace(constraints, Objective.qualityOf(objectives).dropKey(), f.maxAccuracyDrop()); // the drop of whichever metric the run measures
        replace(constraints, Objective.SIZE_MB.key(), f.maxSizeMb());
        replace(constraints, Objective.ENERGY_MJ.key(), f.maxEnergyMj());
        Job base = job;
        return fromFlags(() -> new Job(base.name(), base.model(), base.space(), base.evaluator(), base.device(), objectives, constraints,
                base.population(), base.generations(), base.timeBudget(), base.stagnation(), base.seed(), base.threads(),
                base.strict(), base.batch(), base.cluster()));
    }

    /** A job made from flags; a field that fails its check says it came from the command line. */
    private static Job fromFlags(java.util.function.Supplier<Job> make) {
        try {
            return make.get();
        } catch (Job.Invalid e) {
            throw e.at("command line");
        }
    }

    /** {@code --cluster} and {@code --cluster-name} as a placement, or null when neither was given (the job's holds). */
    public static ClusterSpec cluster(String members, String name) {
        if (members == null && name == null) return null;
        if (members == null) throw new SqueezeException("--cluster-name " + name + " needs --cluster HOST:PORT[,...]: the members to join through");
        return ClusterSpec.parse(members, name, "--cluster");
    }

    private static void replace(List<Constraint> constraints, String key, Double limit) {
        if (limit == null) return;
        constraints.removeIf(c -> c.key().equals(key));
        constraints.add(new Constraint(key, limit));
    }

    /** "90", "90s", "5m", "1h" as a duration. */
    public static Duration duration(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.endsWith("h")) return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.endsWith("m")) return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            if (t.endsWith("s")) t = t.substring(0, t.length() - 1);
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new SqueezeException("--time-budget '" + text + "' is not a duration: use e.g. 90s, 5m or 1h");
        }
    }
}
