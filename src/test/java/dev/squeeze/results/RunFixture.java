package dev.squeeze.results;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.evaluators.PlanEvaluator;
import dev.squeeze.model.ArchitectureSpecs;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.LayerNode;
import dev.squeeze.search.Nsga2Search;
import dev.squeeze.search.SearchSettings;
import dev.squeeze.spaces.SpaceLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a real run folder the way the search service does (run.yaml, provenance.json, trials.jsonl,
 * checkpoints, front.json/csv), from an NSGA-II search on fashion-cnn with a synthetic evaluator:
 * measured trials carry the predicted rung's estimate, and the best few front members are then
 * recovered (a later line for the same plan, with the measured accuracy beside the recovered one).
 */
final class RunFixture {
    static final LayerGraph CNN = ArchitectureSpecs.load("fashion-cnn");
    static final List<Objective> OBJECTIVES = List.of(Objective.ACCURACY, Objective.LATENCY_MS, Objective.ENERGY_MJ, Objective.SIZE_MB);

    private RunFixture() {}

    /** What {@link #write} produced, for assertions. */
    record Written(Path dir, FrontReport front, List<Trial> lines) {}

    /**
     * @param latencyLimit latency constraint as a fraction of the uncompressed model's (a negative value: nothing is feasible)
     * @param recover      how many front members to promote to {@code recovered}
     */
    static Written write(Path resultsDir, String id, double latencyLimit, int recover) throws Exception {
        Path dir = resultsDir.resolve(id);
        Path spaceFile = Files.createDirectories(resultsDir.resolve(".spaces")).resolve(id + ".yaml");
        Files.writeString(spaceFile, """
                schema: squeeze-space/v1
                layers:
                  - match: {types: [conv2d, dense]}
                    prune_ratio: {values: [0.0, 0.25, 0.5, 0.75]}
                    weight_bits: {values: [2, 4, 8, 16, 32]}
                    act_bits: {values: [8, 32]}
                distillation:
                  temperature: {values: [2, 4]}
                  alpha: {values: [0.3, 0.7]}
                """);
        var space = SpaceLoader.load(spaceFile, CNN);
        var evaluator = new Synthetic();
        var baselinePlans = new LinkedHashMap<String, CompressionPlan>();
        baselinePlans.put("uncompressed", CompressionPlan.none());
        baselinePlans.put("uniform-int8", CompressionPlan.uniform("w8a8"));
        baselinePlans.put("uniform-fp16", CompressionPlan.uniform("w16a16"));
        List<Evaluation> base = evaluator.evaluate(new ArrayList<>(baselinePlans.values()));
        var baselines = new ArrayList<FrontReport.Baseline>();
        int b = 0;
        for (var e : baselinePlans.entrySet()) baselines.add(new FrontReport.Baseline(e.getKey(), base.get(b++).values(), e.getValue()));
        Map<String, Double> uncompressed = base.get(0).values();
        double accuracy0 = uncompressed.get("accuracy");

        var constraints = List.of(new Constraint("latency_ms", latencyLimit * uncompressed.get("latency_ms")), new Constraint("accuracy_drop", 0.08));
        var settings = new SearchSettings(OBJECTIVES, constraints, 12, 5, null, 0, 11);
        double[] reference = {accuracy0 - 0.10, uncompressed.get("latency_ms"), uncompressed.get("energy_mj"), uncompressed.get("size_mb")};

        var lines = new ArrayList<Trial>();
        try (RunStore store = RunStore.create(dir)) {
            var job = new LinkedHashMap<String, Object>();
            job.put("schema", "squeeze-job/v1");
            job.put("name", id);
            job.put("model", "fashion-cnn");
            job.put("space", spaceFile.toString());
            job.put("evaluator", "synthetic");
            job.put("device", "raspberry-pi-4");
            job.put("objectives", OBJECTIVES.stream().map(Objective::key).toList());
            var cs = new LinkedHashMap<String, Double>();
            constraints.forEach(c -> cs.put(c.key(), c.limit()));
            job.put("constraints", cs);
            job.put("population", settings.population());
            job.put("generations", settings.generations());
            job.put("seed", settings.seed());
            job.put("threads", 1);
            store.writeYaml("run.yaml", job);
            store.writeJson("provenance.json", new Provenance(Map.of("space " + spaceFile.getFileName(), "0123abcd"), settings.seed(), 1,
                    Map.of("squeeze", "test", "java", System.getProperty("java.version")), "test-os", "2 cores", "2025-01-01T00:00:00Z",
                    "synthetic", CNN.layerNames()));

            var seeds = new ArrayList<>(baselinePlans.values());
            Nsga2Search.Outcome outcome = Nsga2Search.builder(space, settings).reference(reference).costs(evaluator::costs).build()
                    .run(evaluator, dev.squeeze.evaluators.Promoter.NONE, accuracy0, List.of(), new HashMap<>(), seeds,
                    t -> {
                        store.append(t);
                        lines.add(t);
                    },
                    g -> store.writeJson(String.format("checkpoints/gen-%04d.json", g.generation()), g));

            // the recovered rung: a later trial for the same plan supersedes the measured one
            var latest = new LinkedHashMap<String, Trial>();
            outcome.trials().forEach(t -> latest.put(t.plan().key(), t));
            int next = lines.size();
            for (Trial t : outcome.front().subList(0, Math.min(recover, outcome.front().size()))) {
                var values = new HashMap<>(t.values());
                values.remove("accuracy_predicted");
                double measured = t.value(Objective.ACCURACY);
                values.put("accuracy_measured", measured);
                values.put("accuracy", measured + 0.4 * (accuracy0 - measured) + 0.002 * t.plan().distillation().temperature());
                var slack = new LinkedHashMap<String, Double>();
                double violation = 0;
                for (Constraint c : constraints) {
                    slack.put(c.key(), c.slack(values, accuracy0));
                    violation += c.violation(values, accuracy0);
                }
                Trial r = new Trial(String.format("t%04d", ++next), settings.generations() - 1, t.plan(), values, slack, violation,
                        Fidelity.RECOVERED, false, 0.5);
                store.append(r);
                lines.add(r);
                latest.put(r.plan().key(), r);
            }
            FrontReport front = FrontReport.of(id, OBJECTIVES, List.copyOf(latest.values()), baselines, outcome.stoppedBecause());
            store.writeJson("front.json", front);
            store.writeText("front.csv", front.csv(OBJECTIVES.stream().map(Objective::key).toList()));
            return new Written(dir, front, lines);
        }
    }

    /**
     * Deterministic stand-in for the measured rung: costs fall with pruning and bits, accuracy falls with
     * both; the predicted estimate is the accuracy plus a plan-dependent error, so rankings differ a little.
     */
    static final class Synthetic implements PlanEvaluator {
        /** The cost objectives alone, as the search's exact cost function. */
        Map<String, Double> costs(CompressionPlan p) {
            var v = new LinkedHashMap<>(evaluate(List.of(p)).get(0).values());
            v.remove("accuracy");
            v.remove("accuracy_predicted");
            return v;
        }

        public List<Evaluation> evaluate(List<CompressionPlan> plans) {
            var out = new ArrayList<Evaluation>();
            for (CompressionPlan p : plans) {
                double acc = 0.92, latency = 0.05, energy = 0.02, size = 0;
                for (LayerNode n : CNN.nodes()) {
                    var lp = p.forLayer(n.name());
                    double keep = 1 - p.pruneRatio(CNN, n.name());
                    double w = Math.min(lp.weightBits(), 16), a = Math.min(lp.actBits(), 16);
                    latency += n.macs() * keep * Math.max(w, a) / 16 / 1e6;
                    energy += n.macs() * keep * w * a / 256 / 4e6;
                    size += n.params() * keep * lp.weightBits() / 8 / 1e6;
                    if (n.macs() > 0) acc -= 0.08 * Math.pow(1 - keep, 2) + (w <= 2 ? 0.1 : w <= 4 ? 0.008 : 0) + (a <= 8 ? 0.002 : 0);
                }
                double predicted = acc + 0.01 * Math.sin(p.key().hashCode());
                out.add(new Evaluation(Map.of("accuracy", acc, "latency_ms", latency, "energy_mj", energy, "size_mb", size,
                        "accuracy_predicted", predicted), Fidelity.MEASURED, 0.01, new EvaluatedBy("synthetic", "-", "synthetic")));
            }
            return out;
        }

        public String describe() {
            return "synthetic";
        }
    }
}
