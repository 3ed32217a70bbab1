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
 * fields through {@link #with}. Immutable, and valid once made: the constructor checks every field, whichever path made
 * the job (a job file, a resumed run's {@code run.yaml}, flags alone, flags over a file, code), each failure a one-line
 * {@link Invalid} naming the field and the fix; {@link #parse} adds the file and line, the flag paths {@code command line}.
 *
 * @param timeBudget    wall-time limit, or null for none
 * @param stagnation    generations without hypervolume gain after which the run stops; 0: it never stops for that
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
        named("name", name, "a name for its run folders, e.g. fashion-cnn-rpi4");
        named("model", model, "a model name or zip, e.g. fashion-cnn");
        named("space", space, "a space file, e.g. spaces/fashion-cnn.yaml");
        named("evaluator", evaluator, "an evaluator file, e.g. evaluators/default.yaml");
        named("device", device, "a device profile, e.g. raspberry-pi-4");
        if (objectives.size() < 2) throw new Invalid("objectives", "objectives must list at least two, e.g. [accuracy, latency_ms]");
        if (new java.util.HashSet<>(objectives).size() < objectives.size()) {
            throw new Invalid("objectives", "objectives lists one twice (" + objectives.stream().map(Objective::key).toList() + "); list each once");
        }
        var qualities = objectives.stream().filter(Objective::quality).map(Objective::key).toList();
        if (qualities.size() != 1) {
            throw new Invalid("objectives", "objectives must list exactly one quality metric (accuracy, top5_accuracy, agreement, output_cosine "
                    + "or output_kl), got " + (qualities.isEmpty() ? "none" : qualities) + ", e.g. [accuracy, latency_ms]");
        }
        var limited = new java.util.HashSet<String>();
        for (Constraint c : constraints) {
            if (!limited.add(c.key())) throw new Invalid("constraints", "constraints limit " + c.key() + " twice; keep one limit per key");
            Objective dropOf = c.limitsDropOf();
            if (dropOf != null && !objectives.contains(dropOf)) {
                throw new Invalid("constraints", "constraint " + c.key() + " limits " + dropOf.key() + ", which is not an objective; limit "
                        + Objective.qualityOf(objectives).dropKey() + " instead");
            }
        }
        if (population < 4) throw new Invalid("population", "population must be at least 4, got " + population);
        if (generations < 1) throw new Invalid("generations", "generations must be at least 1, got " + generations);
        if (timeBudget != null && (timeBudget.isNegative() || timeBudget.isZero())) {
            throw new Invalid("time_budget_s", "time budget must be positive, got " + timeBudget.toSeconds() + " s; leave it out for no budget");
        }
        if (stagnation < 0) throw new Invalid("stagnation", "stagnation must be >= 0 (0: never stop for stagnation), got " + stagnation);
        if (threads < 1) throw new Invalid("threads", "threads must be at least 1, got " + threads);
        if (batch < 1) throw new Invalid("batch", "batch must be at least 1, got " + batch);
    }

    /**
     * A job field that fails its check, as a one-line message naming the field and the fix. {@link #field} is the job
     * file's key, so {@link #parse} can point at the line.
     */
    public static final class Invalid extends SqueezeException {
        private final String field;

        Invalid(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }

        /** The same message prefixed with where the value came from, e.g. {@code command line}. */
        SqueezeException at(String where) {
            return new SqueezeException(where + ": " + getMessage());
        }
    }

    private static void named(String field, String value, String example) {
        if (value == null || value.isBlank()) throw new Invalid(field, field + " is empty: give " + example);
    }

    public static Job parse(Yaml doc) {
        JsonNode r = doc.root();
        doc.checkKeys(r, "the job", KEYS);
        doc.checkSchema(r, "the job", SCHEMA);
        var objectives = new ArrayList<Objective>();
        JsonNode os = doc.required(r, "objectives", "the job");
        for (JsonNode o : os) objectives.add(Objective.parse(o.asText(), doc.at(o)));
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
        int timeBudget = doc.integer(r, "time_budget_s", "the job", 0); // absent or 0: no budget, as job files have always said
        try {
            return new Job(r.has("name") ? doc.text(r, "name", "the job") : stem(doc.file()),
                    doc.text(r, "model", "the job"), doc.text(r, "space", "the job"), doc.text(r, "evaluator", "the job"),
                    doc.text(r, "device", "the job"), objectives, constraints,
                    doc.integer(r, "population", "the job", 24), doc.integer(r, "generations", "the job", 10),
                    timeBudget == 0 ? null : Duration.ofSeconds(timeBudget), doc.integer(r, "stagnation", "the job", 0),
                    doc.integer(r, "seed", "the job", 1), doc.integer(r, "threads", "the job", Runtime.getRuntime().availableProcessors()),
                    doc.bool(r, "strict", "the job", false), doc.integer(r, "batch", "the job", 1), cluster(doc, r));
        } catch (Invalid e) {
            throw doc.error(r.has(e.field()) ? r.get(e.field()) : r, e.getMessage());
        }
    }

    /** The job's one quality objective (accuracy, agreement, ...), measured by the rungs. */
    public Objective quality() {
        return Objective.qualityOf(objectives);
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

    /** Command-line replacements for job fields; null leaves a field as the job file has it. */
    public record Overrides(String model, String space, String evaluator, String device, Integer population,
                            Integer generations, Duration timeBudget, Long seed, Integer threads) {}

    /** A copy with the given fields replaced; a replacement that fails its check says it came from the command line. */
    public Job with(Overrides o) {
        try {
            return new Job(name, or(o.model(), model), or(o.space(), space), or(o.evaluator(), evaluator), or(o.device(), device),
                    objectives, constraints, or(o.population(), population), or(o.generations(), generations),
                    or(o.timeBudget(), timeBudget), stagnation, or(o.seed(), seed), or(o.threads(), threads), strict, batch, cluster);
        } catch (Invalid e) {
            throw e.at("command line");
        }
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
