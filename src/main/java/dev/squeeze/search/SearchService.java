package dev.squeeze.search;

import dev.squeeze.ConfigFiles;
import dev.squeeze.Json;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.StopRequest;
import dev.squeeze.Version;
import dev.squeeze.data.DataSplits;
import dev.squeeze.evaluators.AccuracyRungs;
import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.EvaluatorSpec;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.evaluators.SearchBackends;
import dev.squeeze.evaluators.SensitivityTable;
import dev.squeeze.evaluators.cluster.ClusterRungs;
import dev.squeeze.evaluators.cluster.ClusterSecret;
import dev.squeeze.evaluators.cluster.ClusterSpec;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.results.Fidelity;
import dev.squeeze.results.FrontReport;
import dev.squeeze.results.Objective;
import dev.squeeze.results.Provenance;
import dev.squeeze.results.RunStore;
import dev.squeeze.results.Trial;
import dev.squeeze.spaces.Knob;
import dev.squeeze.spaces.SearchSpace;
import dev.squeeze.spaces.SpaceLoader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code search} service: resolves a job into a space, an accuracy proxy and a cost model, seeds the
 * first population, runs NSGA-II, and writes the run folder as it goes.
 */
public final class SearchService {
    private SearchService() {}

    /** How progress is shown: a redrawn line per generation, JSON lines on stdout, or nothing. */
    public enum Output { TERMINAL, JSON_LINES, QUIET }

    /**
     * @param job      the resolved job (file plus flag overrides); ignored when resuming
     * @param resume   a run folder to continue, or null
     * @param runId    name of the new run folder, or null for {@code <job>-<timestamp>}
     * @param started  when the user's command started (the JVM's start for the CLI), so the closing time line counts
     *                 start-up too; null = when {@link #run} is called
     * @param stop     ends the run early but cleanly: evaluations under way finish or are abandoned, then the front of the
     *                 trials so far is written and {@link #run} returns (see {@link Nsga2Search.Outcome#complete})
     * @param cluster  where the rungs run, replacing the job's (or the resumed run's) {@code cluster}; null keeps it
     */
    public record Request(Job job, String jobSource, Path resultsDir, String runId, Path resume, Path dataDir, Output output,
                          Instant started, StopRequest stop, ClusterSpec cluster) {}

    /** What the run left behind; when the outcome is not complete, {@code --resume runDir} continues it. */
    public record Result(Path runDir, FrontReport front, Nsga2Search.Outcome outcome) {}

    public static Result run(Request r, Progress progress, Consumer<String> jsonLines) {
        Instant started = r.started() != null ? r.started() : Instant.now();
        RunStore store;
        Job job;
        List<Trial> previous = List.of();
        if (r.resume() != null) {
            store = RunStore.open(r.resume());
            job = placed(Job.parse(dev.squeeze.Yaml.read(r.resume().resolve("run.yaml"))), r.cluster());
            var read = store.readTrials();
            if (read.skipped() != null) {
                progress.log("resume: " + read.skipped());
                store.rewriteTrials(read.trials());
            }
            previous = read.trials();
            progress.log(String.format("resuming %s: %d trials already done", r.resume(), previous.size()));
        } else {
            job = placed(r.job(), r.cluster());
            String id = r.runId() != null ? r.runId() : job.name() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            store = RunStore.create(r.resultsDir().resolve(id));
        }

        Setup setup = Setup.of(job, r.dataDir(), progress, r.stop());
        if (r.resume() == null) {
            store.writeYaml("run.yaml", job.fileForm());
            store.writeJson("provenance.json", setup.provenance(job, r.jobSource()));
        }
        Path cacheFile = r.resultsDir().resolve(".cache").resolve(setup.cacheKey() + ".jsonl");
        Map<String, Evaluation> cache = readCache(cacheFile);
        int cachedBefore = cache.size();

        try (store; var backends = setup.backends()) {
            var baselines = new ArrayList<FrontReport.Baseline>();
            var cacheOut = new CacheWriter(cacheFile);
            Nsga2Search.Outcome outcome;
            try (cacheOut) {
                progress.log("measuring the baselines (uncompressed, uniform int8, uniform fp16) ...");
                var baselinePlans = new LinkedHashMap<String, CompressionPlan>();
                baselinePlans.put("uncompressed", CompressionPlan.none());
                baselinePlans.put("uniform-int8", CompressionPlan.uniform("w8a8"));
                baselinePlans.put("uniform-fp16", CompressionPlan.uniform("w16a16"));
                List<Evaluation> baseEvals = backends.measured().evaluate(new ArrayList<>(baselinePlans.values()));
                Objective quality = job.quality();
                double baselineAccuracy = baseEvals.get(0).values().get(quality.key());
                int i = 0;
                for (var e : baselinePlans.entrySet()) baselines.add(new FrontReport.Baseline(e.getKey(), baseEvals.get(i++).values(), e.getValue()));

                progress.log("building the sensitivity table (each layer setting alone) ...");
                SensitivityTable table = SensitivityTable.measure(setup.space(), backends.measured(), quality, baselineAccuracy);
                PlanEvaluator ladder = backends.ladder(table, setup.space(), baselineAccuracy);
                List<CompressionPlan> seeds = seeds(setup.space(), table, baselinePlans.values());

                Map<String, Double> uncompressed = baseEvals.get(0).values();
                double[] reference = new double[job.objectives().size()];
                for (int k = 0; k < reference.length; k++) {
                    Objective o = job.objectives().get(k);
                    reference[k] = o.quality() ? o.behind(baselineAccuracy, referenceDrop(o)) : uncompressed.get(o.key());
                }
                var search = Nsga2Search.builder(setup.space(), job.settings()).reference(reference).stopRequest(r.stop())
                        .costs(backends.costs()).prior(plan -> table.predict(plan, setup.space()))
                        .recoveryPrior(plan -> table.predictWithoutPruning(plan, setup.space())).build();
                long start = System.nanoTime();
                outcome = search.run(ladder, backends.promoter(), baselineAccuracy, previous, cache, seeds,
                        t -> {
                            store.append(t);
                            cacheOut.append(t, cache);
                        },
                        g -> {
                            store.writeJson(String.format("checkpoints/gen-%04d.json", g.generation()), g);
                            report(r.output(), job, g, start, progress, jsonLines);
                        });
            } catch (StopRequest.Stopped s) { // during the baselines or the sensitivity table: the front is the resumed trials'
                outcome = Nsga2Search.Outcome.stoppedBefore(previous, job.objectives(), s.reason());
            }
            FrontReport front = FrontReport.of(store.dir().getFileName().toString(), job.objectives(), outcome.trials(), baselines,
                    outcome.stoppedBecause());
            store.writeJson("front.json", front);
            var keys = new ArrayList<String>();
            job.objectives().forEach(o -> keys.add(o.key()));
            store.writeText("front.csv", front.csv(keys));
            progress.log(String.format("%s: %d trials (%d from earlier runs' cache), stopped on %s; %s", outcome.complete() ? "done" : "stopped early",
                    outcome.trials().size(), cachedBefore == 0 ? 0 : outcome.trials().stream().filter(Trial::cacheHit).count(),
                    outcome.stoppedBecause(), front.feasible() ? front.front().size() + " plans on the front"
                            : outcome.trials().isEmpty() ? "no trials yet"
                            : "no plan met the constraints; front.json lists the least-violating plans"));
            double wall = java.time.Duration.between(started, Instant.now()).toMillis() / 1e3;
            double evaluating = backends.evaluatingSeconds();
            progress.log(dev.squeeze.PeakMemory.closing(String.format("time: %.1f s since squeeze started, %.1f s evaluating accuracy, %.1f s (%.1f%%) everything else",
                    wall, evaluating, wall - evaluating, 100 * (wall - evaluating) / wall)));
            return new Result(store.dir(), front, outcome);
        }
    }

    /** The job with its rungs where {@code cluster} says (null: where the job says). */
    private static Job placed(Job job, ClusterSpec cluster) {
        return cluster == null ? job : job.withCluster(cluster);
    }

    /**
     * The first population: the baselines placed in the space, uniform prune levels at 8 bits, and
     * sensitivity-guided plans (per layer the most aggressive setting whose drop alone stays under a
     * threshold, for several thresholds).
     */
    static List<CompressionPlan> seeds(SearchSpace space, SensitivityTable table, java.util.Collection<CompressionPlan> baselines) {
        var seeds = new ArrayList<CompressionPlan>(baselines);
        var pruneValues = space.genes().stream().filter(k -> k.kind() == Knob.Kind.PRUNE_RATIO).findFirst()
                .map(Knob::values).orElse(List.of());
        for (double v : pruneValues) {
            if (v == 0) continue;
            seeds.add(space.plan(space.indicesOf(CompressionPlan.uniform("w8a8p" + v))));
        }
        for (double threshold : new double[]{0.002, 0.005, 0.01, 0.02, 0.04}) {
            List<Knob> genes = space.genes();
            int[] idx = new int[genes.size()];
            for (int i = 0; i < idx.length; i++) {
                Knob k = genes.get(i);
                idx[i] = k.indexOfClosest(k.kind().neutral());
                if (k.layer() == null) continue;
                for (int j = 0; j < k.values().size(); j++) {
                    double v = k.values().get(j);
                    if (k.kind().moreAggressive(v, k.values().get(idx[i])) && table.drop(k, v) <= threshold) idx[i] = j;
                }
            }
            seeds.add(space.plan(idx));
        }
        var distinct = new LinkedHashMap<String, CompressionPlan>();
        for (CompressionPlan p : seeds) distinct.putIfAbsent(space.plan(space.indicesOf(p)).key(), space.plan(space.indicesOf(p)));
        return List.copyOf(distinct.values());
    }

    private static void report(Output output, Job job, Nsga2Search.Generation g, long start, Progress progress, Consumer<String> jsonLines) {
        switch (output) {
            case QUIET -> { }
            case JSON_LINES -> jsonLines.accept(Json.line(g));
            case TERMINAL -> {
                double elapsed = (System.nanoTime() - start) / 1e9;
                double perGen = elapsed / (g.generation() + 1);
                double eta = perGen * Math.max(0, job.generations() - g.generation() - 1);
                if (job.timeBudget() != null) eta = Math.min(eta, Math.max(0, job.timeBudget().toSeconds() - elapsed));
                var best = new StringBuilder();
                g.bestFeasible().forEach((k, v) -> best.append(String.format(" %s %.4g", k, v)));
                progress.log(String.format("gen %d/%d  evals %d new, %d cached  trials %d  best feasible:%s  HV %.4f%s  ETA %.0fs",
                        g.generation() + 1, job.generations(), g.evaluatedNew(), g.fromCache(), g.trials(),
                        best.length() == 0 ? " none yet" : best.toString(), g.hypervolume(), agreement(g.surrogate()), eta));
            }
        }
    }

    /** The accuracy model's Kendall tau, held out and on this generation's proposals, for the progress line. */
    private static String agreement(Nsga2Search.SurrogateAgreement a) {
        if (a == null) return "";
        return String.format("  surrogate tau %s held out (%d trials), %s on this generation's %d", tau(a.heldOutTau()), a.fittedOn(),
                tau(a.tau()), a.predicted());
    }

    private static String tau(Double t) {
        return t == null ? "-" : String.format("%.2f", t);
    }

    /** Writes a whole cache (what {@link #readCache} reads). */
    static void writeCache(Path file, Map<String, Evaluation> cache) {
        var sb = new StringBuilder();
        cache.forEach((k, e) -> {
            var line = new LinkedHashMap<String, Object>();
            line.put("key", k);
            line.put("evaluation", e);
            sb.append(Json.line(line)).append('\n');
        });
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SqueezeException("cannot write " + file + ": " + e.getMessage());
        }
    }

    static Map<String, Evaluation> readCache(Path file) {
        var cache = new HashMap<String, Evaluation>();
        if (!Files.exists(file)) return cache;
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    var node = Json.json().readTree(line);
                    cache.put(node.get("key").asText(), Json.json().treeToValue(node.get("evaluation"), Evaluation.class));
                } catch (IOException partial) {
                    // a line cut by a kill: the trial is in trials.jsonl anyway
                }
            }
        } catch (IOException e) {
            throw new SqueezeException("cannot read the evaluation cache " + file + ": " + e.getMessage() + " (delete it to start afresh)");
        }
        return cache;
    }

    /** Appends new evaluations to the persisted cache shared by later runs of the same model, evaluator and device. */
    private static final class CacheWriter implements AutoCloseable {
        private final Path file;
        private java.io.BufferedWriter out;

        CacheWriter(Path file) {
            this.file = file;
        }

        void append(Trial t, Map<String, Evaluation> cache) {
            if (t.cacheHit()) return;
            String key = t.fidelity() == Fidelity.RECOVERED ? TrialBook.key(t.plan(), Fidelity.RECOVERED) : t.plan().key();
            Evaluation e = cache.get(key);
            if (e == null) return;
            try {
                if (out == null) {
                    Files.createDirectories(file.getParent());
                    out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
                var line = new LinkedHashMap<String, Object>();
                line.put("key", key);
                line.put("evaluation", e);
                out.write(Json.line(line));
                out.newLine();
                out.flush();
            } catch (IOException ex) {
                throw new SqueezeException("cannot write the evaluation cache " + file + ": " + ex.getMessage());
            }
        }

        @Override
        public void close() {
            try {
                if (out != null) out.close();
            } catch (IOException ignored) {
                // flushed per line
            }
        }
    }

    /**
     * How far behind the uncompressed model the hypervolume's reference point sits on the quality axis: 10 points of a
     * 0-to-1 metric, one nat of KL divergence.
     */
    static double referenceDrop(Objective quality) {
        return quality == Objective.OUTPUT_KL ? 1.0 : 0.10;
    }

    /** Everything resolved from a job before the search starts. */
    record Setup(Job job, ModelHandle model, SearchSpace space, EvaluatorSpec evaluator, DataSplits splits,
                 Map<String, String> inputs, SearchBackends backends) {
        static Setup of(Job job, Path dataDir, Progress progress, StopRequest stop) {
            // reading and unpacking the dataset (~0.5 s) overlaps starting ND4J (~0.6 s) and loading the model (~1 s)
            var data = java.util.concurrent.CompletableFuture.supplyAsync(() -> dev.squeeze.data.DataSources.load(dataDir));
            dev.squeeze.model.Backend.init();
            ModelHandle model = ModelStore.load(job.model(), () -> joined(data).test().images().shape());
            var spaceFile = ConfigFiles.find(job.space(), "spaces", "space");
            SearchSpace space = SearchBackends.aligned(SpaceLoader.resolve(spaceFile.yaml(), model.graph()), model.graph(), job.device());
            var evalFile = ConfigFiles.find(job.evaluator(), "evaluators", "evaluator");
            EvaluatorSpec spec = EvaluatorSpec.parse(evalFile.yaml(), evalFile.where());
            var dataset = joined(data);
            DataSplits splits = DataSplits.of(dataset, spec.dataSeed(), spec.calibration());
            model.checkReads(splits);
            if (job.quality().needsLabels() && !splits.calibration().labelled()) {
                throw new dev.squeeze.SqueezeException("objective " + job.quality().key() + " needs labels and the data (" + splits.description().source()
                        + ") has none: use --objectives agreement,latency_ms (or output_cosine, output_kl: no labels needed), or give the data labels");
            }
            var inputs = new LinkedHashMap<String, String>();
            inputs.put("model " + job.model(), ModelStore.sha256(job.model()));
            if (dataset.declaration() != null) inputs.put("data " + dataset.source().location(), dataset.declaration());
            inputs.put("space " + spaceFile.where(), spaceFile.sha256());
            inputs.put("evaluator " + evalFile.where(), evalFile.sha256());
            // on a cluster the secret comes from the environment, never from a file that could be committed
            AccuracyRungs rungs = job.cluster().isLocal() ? AccuracyRungs.LOCAL
                    : ClusterRungs.of(job.cluster(), ClusterSecret.fromEnvironment(), progress, stop);
            SearchBackends backends = SearchBackends.of(model, space, spec, splits, job.device(), job.quality(), job.batch(), job.threads(),
                    job.strict(), progress, stop, rungs);
            inputs.put("device " + job.device(), backends.deviceSha256());
            progress.log(String.format("%s on %s: %s plans in the space (%d knobs searched), %d calibration images (%s data)",
                    job.model(), job.device(), space.size(), space.genes().size(), splits.calibration().count(), splits.description().source()));
            return new Setup(job, model, space, spec, splits, inputs, backends);
        }

        /** The future's value; its own exception (a one-line SqueezeException for a missing dataset) unwrapped. */
        private static <T> T joined(java.util.concurrent.CompletableFuture<T> f) {
            try {
                return f.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw e;
            }
        }

        String cacheKey() {
            var sb = new StringBuilder();
            inputs.forEach((k, v) -> {
                if (!k.startsWith("space ")) sb.append(k).append('=').append(v).append(';');
            });
            sb.append("rungs=").append(SearchBackends.RUNGS_VERSION).append(';');
            // evaluations hold the metric the run measures; accuracy, the first, adds nothing, so earlier caches stay valid
            if (job.quality() != Objective.ACCURACY) sb.append("quality=").append(job.quality().key()).append(';');
            sb.append("batch=").append(job.batch()).append(";align=").append(space.alignToDevice()).append(";data=").append(splits.description());
            return ConfigFiles.sha256(sb.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        }

        Provenance provenance(Job job, String jobSource) {
            var versions = new LinkedHashMap<>(dev.squeeze.LibraryVersions.all());
            var in = new LinkedHashMap<>(inputs);
            if (jobSource != null) in.put("job " + jobSource, ConfigFiles.find(jobSource, "search", "job").sha256());
            return new Provenance(in, job.seed(), job.threads(), versions,
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                    Runtime.getRuntime().availableProcessors() + " cores", Instant.now().toString(), splits.description(), model.graph().layerNames());
        }
    }
}
