package dev.squeeze.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;
import dev.squeeze.evaluators.cluster.ClusterSpec;
import dev.squeeze.results.Constraint;
import dev.squeeze.results.Objective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A launchable search job ({@code search/*.yaml}, {@code squeeze-job/v1}): what to compress, for which
 * device, towards which objectives, under which constraints, with how much effort. CLI flags override
 * fields through {@link #with}. Immutable.
 *
 * @param cluster where the measured and recovered rungs run: this machine ({@link ClusterSpec#local()}, the default), or
 *                the squeeze workers of a cluster ({@code cluster: HOST:PORT[,...]} and {@code cluster_name:})
 */
public record Job(String name, String model, String space, String evaluator, String device,
                  List<Objective> objectives, List<Constraint> constraints, int population, int generations,
                  Duration timeBudget, int stagnation, long seed, int threads, boolean strict, int batch, ClusterSpec cluster) {
    public static final String SCHEMA = "squeeze-job/v1";
    static final List<String> KEYS = List.of("schema", "name", "description", "model", "space", "evaluator", "device",
            "objectives", "constraints", "population", "generations", "time_budget_s", "stagnation", "seed", "threads",
            "strict", "batch", "cluster", "cluster_name");

    public Job {
        objectives = List.copyOf(objectives);
        constraints = List.copyOf(constraints);
        if (cluster == null) cluster = ClusterSpec.local();
    }

    public static Job parse(Yaml doc) {
        JsonNode r = doc.root();
        doc.checkKeys(r, "the job", KEYS);
        String schema = doc.text(r, "schema", "the job");
        if (!schema.equals(SCHEMA)) throw doc.error(r.get("schema"), "schema is '" + schema + "'; this squeeze reads " + SCHEMA);
        var objectives = new ArrayList<Objective>();
        JsonNode os = doc.required(r, "objectives", "the job");
        for (JsonNode o : os) objectives.add(Objective.parse(o.asText(), doc.at(o)));
        if (objectives.size() < 2) throw doc.error(os, "list at least two objectives, e.g. [accuracy, latency_ms]");
        var constraints = new ArrayList<Constraint>();
        if (r.has("constraints")) {
            JsonNode cs = r.get("constraints");
            if (!cs.isObject()) throw doc.error(cs, "constraints must map a key to its limit, e.g. {accuracy_drop: 0.01}");
            var it = cs.fields();
            while (it.hasNext()) {
                var e = it.next();
                if (!e.getValue().isNumber()) throw doc.error(e.getValue(), "constraint " + e.getKey() + " needs a number");
                constraints.add(Constraint.of(e.getKey(), e.getValue().asDouble(), doc.at(e.getValue())));
            }
        }
        int timeBudget = doc.integer(r, "time_budget_s", "the job", 0);
        Job job = new Job(r.has("name") ? doc.text(r, "name", "the job") : stem(doc.file()),
                doc.text(r, "model", "the job"), doc.text(r, "space", "the job"), doc.text(r, "evaluator", "the job"),
                doc.text(r, "device", "the job"), objectives, constraints,
                doc.integer(r, "population", "the job", 24), doc.integer(r, "generations", "the job", 10),
                timeBudget > 0 ? Duration.ofSeconds(timeBudget) : null, doc.integer(r, "stagnation", "the job", 0),
                doc.integer(r, "seed", "the job", 1), doc.integer(r, "threads", "the job", Runtime.getRuntime().availableProcessors()),
                doc.bool(r, "strict", "the job", false), doc.integer(r, "batch", "the job", 1), cluster(doc, r));
        return job.checked(doc.file());
    }

    /** {@code cluster: HOST:PORT[,...]} (or a list of them, or {@code local}) and {@code cluster_name:}. */
    private static ClusterSpec cluster(Yaml doc, JsonNode r) {
        String name = r.has("cluster_name") ? doc.text(r, "cluster_name", "the job") : null;
        if (!r.has("cluster")) return name == null ? ClusterSpec.local() : new ClusterSpec(name, List.of());
        JsonNode c = r.get("cluster");
        String members;
        if (c.isArray()) {
            var parts = new ArrayList<String>();
            c.forEach(m -> parts.add(m.asText()));
            members = String.join(",", parts);
        } else if (c.isTextual()) {
            members = c.asText();
        } else {
            throw doc.error(c, "cluster lists the members to join, e.g. cluster: [10.0.0.5:5701, 10.0.0.6:5701], or says local");
        }
        try {
            return ClusterSpec.parse(members, name, "cluster");
        } catch (dev.squeeze.SqueezeException e) {
            throw doc.error(c, e.getMessage());
        }
    }

    /** Range checks shared by files and flags. */
    public Job checked(String where) {
        if (population < 4) throw new SqueezeException(where + ": population must be at least 4, got " + population);
        if (generations < 1) throw new SqueezeException(where + ": generations must be at least 1, got " + generations);
        if (threads < 1) throw new SqueezeException(where + ": threads must be at least 1, got " + threads);
        if (batch < 1) throw new SqueezeException(where + ": batch must be at least 1, got " + batch);
        if (stagnation < 0) throw new SqueezeException(where + ": stagnation must be >= 0, got " + stagnation);
        return this;
    }

    /** Command-line replacements for job fields; null leaves a field as the job file has it. */
    public record Overrides(String model, String space, String evaluator, String device, Integer population,
                            Integer generations, Duration timeBudget, Long seed, Integer threads) {}

    /** A copy with the given fields replaced. */
    public Job with(Overrides o) {
        return new Job(name, or(o.model(), model), or(o.space(), space), or(o.evaluator(), evaluator), or(o.device(), device),
                objectives, constraints, or(o.population(), population), or(o.generations(), generations),
                or(o.timeBudget(), timeBudget), stagnation, or(o.seed(), seed), or(o.threads(), threads), strict, batch, cluster)
                .checked("command line");
    }

    /** A copy that runs its rungs where {@code cluster} says. */
    public Job withCluster(ClusterSpec cluster) {
        return new Job(name, model, space, evaluator, device, objectives, constraints, population, generations, timeBudget, stagnation,
                seed, threads, strict, batch, cluster);
    }

    private static <T> T or(T override, T value) {
        return override != null ? override : value;
    }

    /** The job in its file form ({@code run.yaml} of a run), so a run can be resumed with {@link #parse}. */
    public java.util.Map<String, Object> fileForm() {
        var m = new java.util.LinkedHashMap<String, Object>();
        m.put("schema", SCHEMA);
        m.put("name", name);
        m.put("model", model);
        m.put("space", space);
        m.put("evaluator", evaluator);
        m.put("device", device);
        m.put("objectives", objectives.stream().map(Objective::key).toList());
        var cs = new java.util.LinkedHashMap<String, Double>();
        constraints.forEach(c -> cs.put(c.key(), c.limit()));
        m.put("constraints", cs);
        m.put("population", population);
        m.put("generations", generations);
        if (timeBudget != null) m.put("time_budget_s", timeBudget.toSeconds());
        m.put("stagnation", stagnation);
        m.put("seed", seed);
        m.put("threads", threads);
        m.put("strict", strict);
        m.put("batch", batch);
        if (!cluster.isLocal()) m.put("cluster", cluster.membersText());
        if (!cluster.name().equals(ClusterSpec.DEFAULT_NAME)) m.put("cluster_name", cluster.name());
        return m;
    }

    public SearchSettings settings() {
        return new SearchSettings(objectives, constraints, population, generations, timeBudget, stagnation, seed);
    }

    private static String stem(String file) {
        String f = file.replace('\\', '/');
        f = f.substring(f.lastIndexOf('/') + 1);
        return f.endsWith(".yaml") ? f.substring(0, f.length() - 5) : f;
    }
}
