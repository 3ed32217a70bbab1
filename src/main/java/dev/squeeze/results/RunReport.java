package dev.squeeze.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.squeeze.Json;
import dev.squeeze.SqueezeException;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One run folder read back for people and scripts: the front and baselines as stored in {@code front.json},
 * every trial, the hypervolume per generation from the checkpoints, the job and its provenance. It only
 * reads; the one thing it computes is presentation statistics (how well each fidelity rung ranked the
 * next), from values the search stored.
 *
 * @param run        the run's id (its folder name)
 * @param ref        how the user named the run (id or folder), for the export commands the report suggests
 * @param trials     the latest trial of every plan (a {@code recovered} line supersedes its plan's {@code measured} one)
 * @param skipped    the partial last line of trials.jsonl that was skipped, or null
 * @param workers    evaluations per cluster worker (empty when every evaluation ran on the search's machine)
 */
public record RunReport(String run, String ref, Path dir, JsonNode job, JsonNode provenance, List<Trial> trials,
                        FrontReport front, List<Checkpoint> generations, List<RankAgreement> rankAgreement, String skipped,
                        List<WorkerShare> workers) {
    /**
     * What the report takes from one {@code checkpoints/gen-NNNN.json}.
     *
     * @param surrogate the accuracy model's agreement with measurements in this generation; null when the search did
     *                  not screen offspring with it
     */
    public record Checkpoint(int generation, int evaluatedNew, int fromCache, int trials, double hypervolume, double seconds,
                             Surrogate surrogate) {}

    /**
     * The accuracy model's Kendall tau in one generation: {@code heldOutTau} leave-one-out over the {@code fittedOn}
     * trials it learnt from, {@code tau} against the measurements of the {@code predicted} plans it proposed.
     */
    public record Surrogate(int fittedOn, Double heldOutTau, int predicted, Double tau) {}

    /**
     * Kendall tau between a rung's accuracy and the next rung's, over the plans both measured
     * ({@code accuracy_<from>} stored on trials of fidelity {@code to}); null when there are fewer than two pairs.
     * The last entry judges the search's accuracy model ({@code surrogate}) the same way, on the plans it proposed.
     */
    public record RankAgreement(String from, String to, int pairs, Double tau) {
        public String describe() {
            return from + " -> " + to + ": " + (tau == null ? "not enough data (" + pairs + (pairs == 1 ? " pair)" : " pairs)")
                    : String.format("Kendall tau %.2f over %d plans", tau, pairs));
        }
    }

    /**
     * What one machine measured: evaluations recorded in trials.jsonl with their seconds, cache hits and predicted-rung
     * trials left out ({@code worker} is {@value #THIS_MACHINE} for evaluations made where the search ran).
     */
    public record WorkerShare(String worker, Fidelity fidelity, int evaluations, double seconds) {}

    static final String THIS_MACHINE = "the search's machine";

    /** The run's quality objective: the first quality metric any of these values hold (accuracy for runs that hold none). */
    static Objective qualityIn(java.util.Collection<Map<String, Double>> values) {
        for (Objective o : Objective.values()) {
            if (o.quality() && values.stream().anyMatch(v -> v.containsKey(o.key()))) return o;
        }
        return Objective.ACCURACY;
    }

    /** The quality objective the run measured (accuracy, agreement, ...), as its trials hold it. */
    public Objective quality() {
        return qualityIn(trials.stream().map(Trial::values).toList());
    }

    /** Column headers and rows of one table, shared by the terminal, markdown and HTML renderings. */
    public record Table(List<String> header, List<List<String>> rows) {}

    /** Reads the run named by {@code run}: a run folder, or a run id under {@code resultsDir}. */
    public static RunReport load(String run, Path resultsDir) {
        Path dir = locate(run, resultsDir);
        RunStore.TrialsRead read = RunStore.open(dir).readTrials();
        var latest = new LinkedHashMap<String, Trial>();
        for (Trial t : read.trials()) {
            latest.remove(t.plan().key()); // re-insert so the order follows the superseding line
            latest.put(t.plan().key(), t);
        }
        List<Trial> trials = List.copyOf(latest.values());
        JsonNode job = Files.isRegularFile(dir.resolve("run.yaml")) ? read(dir.resolve("run.yaml"), Json.yaml(), JsonNode.class) : null;
        JsonNode provenance = Files.isRegularFile(dir.resolve("provenance.json")) ? read(dir.resolve("provenance.json"), Json.json(), JsonNode.class) : null;
        String id = dir.toAbsolutePath().normalize().getFileName().toString();
        // the run as an export command must name it: an id under a non-default results folder becomes that folder's path
        String ref = Path.of(run).equals(dir) || resultsDir.normalize().equals(Path.of("results")) ? run : dir.toString();
        return new RunReport(id, ref, dir, job, provenance, trials, front(dir, id, job, trials), checkpoints(dir),
                rankAgreement(read.trials()), read.skipped(), workerShares(read.trials()));
    }

    /** Evaluations per worker and fidelity, in worker order; empty when no trial names a worker. */
    static List<WorkerShare> workerShares(List<Trial> lines) {
        if (lines.stream().allMatch(t -> t.worker() == null)) return List.of();
        var shares = new java.util.TreeMap<String, WorkerShare>();
        for (Trial t : lines) {
            if (t.cacheHit() || t.fidelity() == Fidelity.PREDICTED) continue;
            String w = t.worker() == null ? THIS_MACHINE : t.worker();
            shares.merge(w + "\u0000" + t.fidelity(), new WorkerShare(w, t.fidelity(), 1, t.seconds()),
                    (a, b) -> new WorkerShare(a.worker(), a.fidelity(), a.evaluations() + b.evaluations(), a.seconds() + b.seconds()));
        }
        return List.copyOf(shares.values());
    }

    /** Where the evaluations ran (see {@link WorkerShare}); no rows when all ran on the search's machine. */
    public Table workerTable() {
        var rows = new ArrayList<List<String>>();
        for (WorkerShare w : workers) {
            rows.add(List.of(w.worker(), w.fidelity().key(), Integer.toString(w.evaluations()), String.format("%.1f", w.seconds())));
        }
        return new Table(List.of("worker", "fidelity", "evaluations", "seconds"), rows);
    }

    private static Path locate(String run, Path resultsDir) {
        for (Path candidate : List.of(Path.of(run), resultsDir.resolve(run))) {
            if (Files.isRegularFile(candidate.resolve("run.yaml")) || Files.isRegularFile(candidate.resolve(RunStore.TRIALS))) {
                return candidate;
            }
        }
        throw new SqueezeException("no run '" + run + "' (neither a run folder nor a run id under " + resultsDir + "); "
                + RunStore.existingRuns(resultsDir));
    }

    /** front.json when the search finished; for a run still going or killed, the front of the trials so far. */
    private static FrontReport front(Path dir, String id, JsonNode job, List<Trial> trials) {
        Path file = dir.resolve("front.json");
        if (Files.isRegularFile(file)) return read(file, Json.json(), FrontReport.class);
        if (job == null || !job.has("objectives")) {
            throw new SqueezeException(dir + " has neither front.json nor run.yaml with objectives: nothing to report; re-run the search");
        }
        var objectives = new ArrayList<Objective>();
        job.get("objectives").forEach(o -> objectives.add(Objective.parse(o.asText(), dir.resolve("run.yaml").toString())));
        return FrontReport.of(id, objectives, trials, List.of(), "not finished (no front.json yet): front of the trials so far");
    }

    private static List<Checkpoint> checkpoints(Path dir) {
        Path folder = dir.resolve("checkpoints");
        if (!Files.isDirectory(folder)) return List.of();
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().matches("gen-\\d+\\.json")).sorted()
                    .map(p -> read(p, Json.json(), Checkpoint.class)).toList();
        } catch (IOException e) {
            throw new SqueezeException("cannot list " + folder + ": " + e.getMessage());
        }
    }

    static List<RankAgreement> rankAgreement(List<Trial> lines) {
        var out = new ArrayList<RankAgreement>();
        String quality = qualityIn(lines.stream().map(Trial::values).toList()).key();
        // the fidelity ladder, lowest first (Fidelity's order): each rung is judged by how well it ranked the plans the next measured
        Fidelity[] rungs = Fidelity.values();
        for (int i = 0; i + 1 < rungs.length; i++) {
            Fidelity from = rungs[i], to = rungs[i + 1];
            String key = Objective.parse(quality, "trials").keyAt(from);
            List<Trial> pairs = lines.stream().filter(t -> t.fidelity() == to && t.values().containsKey(key)
                    && t.values().containsKey(quality)).toList();
            out.add(agreement(from.key(), to.key(), pairs, key, quality));
        }
        // the search's accuracy model: its prediction, made before the plan was measured, against the measurement
        out.add(agreement("surrogate", Fidelity.MEASURED.key(), lines.stream().filter(t -> t.fidelity() == Fidelity.MEASURED
                && t.values().containsKey(Trial.SURROGATE) && t.values().containsKey(quality)).toList(), Trial.SURROGATE, quality));
        return out;
    }

    private static RankAgreement agreement(String from, String to, List<Trial> pairs, String key, String quality) {
        double[] x = pairs.stream().mapToDouble(t -> t.values().get(key)).toArray();
        double[] y = pairs.stream().mapToDouble(t -> t.values().get(quality)).toArray();
        Double tau = x.length < 2 ? null : new KendallsCorrelation().correlation(x, y);
        return new RankAgreement(from, to, x.length, tau == null || tau.isNaN() ? null : tau);
    }

    /** The plans the report is about: the front, or the least-violating plans when nothing was feasible. */
    public List<FrontReport.Point> members() {
        if (front.feasible()) return front.front();
        return front.leastViolating() == null ? List.of() : front.leastViolating();
    }

    public Optional<FrontReport.Baseline> baseline(String name) {
        return front.baselines().stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** Objective keys any trial or baseline has, in objective order. */
    public List<String> valueKeys() {
        var seen = new java.util.HashSet<String>();
        trials.forEach(t -> seen.addAll(t.values().keySet()));
        front.baselines().forEach(b -> seen.addAll(b.values().keySet()));
        return Stream.of(Objective.values()).map(Objective::key).filter(seen::contains).toList();
    }

    /** The front (or least-violating plans) with the quality metric's drop against the uncompressed baseline. */
    public Table frontTable() {
        var rows = new ArrayList<List<String>>();
        Objective q = quality();
        for (FrontReport.Point p : members()) rows.add(row(q, p.id(), p.values(), p.fidelity(), p.plan()));
        return new Table(header(q, "trial"), rows);
    }

    public Table baselineTable() {
        var rows = new ArrayList<List<String>>();
        Objective q = quality();
        for (FrontReport.Baseline b : front.baselines()) rows.add(row(q, b.name(), b.values(), Fidelity.MEASURED, b.plan()));
        return new Table(header(q, "baseline"), rows);
    }

    private List<String> header(Objective q, String first) {
        var h = new ArrayList<>(List.of(first));
        for (String k : valueKeys()) {
            h.add(k);
            if (k.equals(q.key())) h.add(q.maximize() ? "drop_pt" : "rise");
        }
        h.addAll(List.of("fidelity", "plan"));
        return h;
    }

    private List<String> row(Objective q, String id, Map<String, Double> values, Fidelity fidelity, dev.squeeze.model.CompressionPlan plan) {
        var r = new ArrayList<>(List.of(id));
        for (String k : valueKeys()) {
            r.add(values.containsKey(k) ? num(values.get(k)) : "-");
            if (k.equals(q.key())) r.add(dropPoints(q, values).map(d -> String.format(q.maximize() ? "%.2f" : "%.4f", d)).orElse("-"));
        }
        r.add(fidelity.key());
        r.add(plan == null ? "-" : FrontReport.compact(plan));
        return r;
    }

    /**
     * The quality metric's drop against the uncompressed baseline (negative: better than it): in percentage points for
     * accuracy and the other 0-to-1 metrics, as it is for KL divergence.
     */
    public Optional<Double> dropPoints(Map<String, Double> values) {
        return dropPoints(quality(), values);
    }

    private Optional<Double> dropPoints(Objective q, Map<String, Double> values) {
        double unit = q.maximize() ? 100 : 1;
        return baseline("uncompressed").map(b -> b.values().get(q.key()))
                .filter(base -> values.containsKey(q.key())).map(base -> unit * q.drop(base, values.get(q.key())));
    }

    /** One line on how the run ended and what its front holds. */
    public String summary() {
        return String.format("run %s: %d trials, stopped on %s; %s", run, front.trials(), front.stoppedBecause(),
                front.feasible() ? front.front().size() + " plans on the front"
                        : "no plan met the constraints, showing the least-violating plans");
    }

    /** {@code front.csv}'s layout: the front, then the baselines. */
    public String csv() {
        return front.csv(valueKeys());
    }

    /** {@code front.json}'s layout, so scripts need one parser for both. */
    public String json() {
        return Json.write(front);
    }

    public String markdown() {
        var sb = new StringBuilder("## ").append(summary()).append("\n\n");
        markdown(sb, frontTable());
        sb.append('\n');
        markdown(sb, baselineTable());
        sb.append('\n');
        rankAgreement.forEach(a -> sb.append("- ").append(a.describe()).append('\n'));
        if (!workers.isEmpty()) {
            sb.append("\nEvaluations per worker:\n\n");
            markdown(sb, workerTable());
        }
        return sb.toString();
    }

    private static void markdown(StringBuilder sb, Table t) {
        sb.append("| ").append(String.join(" | ", t.header())).append(" |\n|");
        t.header().forEach(h -> sb.append(" --- |"));
        sb.append('\n');
        for (List<String> r : t.rows()) {
            sb.append("| ").append(String.join(" | ", r.stream().map(c -> c.replace("|", "\\|")).toList())).append(" |\n");
        }
    }

    /** Writes {@code report.html} into the run folder and returns its path. */
    public Path writeHtml() {
        RunStore.open(dir).writeText("report.html", ReportHtml.of(this));
        return dir.resolve("report.html");
    }

    /** Four significant digits, never scientific notation. */
    static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return String.valueOf(v);
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    private static <T> T read(Path file, ObjectMapper mapper, Class<T> type) {
        try {
            return mapper.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new SqueezeException("cannot read " + file + " (" + e.getMessage().lines().findFirst().orElse("") + "): restore it or re-run the search");
        }
    }
}
