package dev.squeeze.search;

import dev.squeeze.ConfigFiles;
import dev.squeeze.Progress;
import dev.squeeze.data.DataSplits;
import dev.squeeze.evaluators.EvaluatorSpec;
import dev.squeeze.evaluators.SearchBackends;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import dev.squeeze.results.Objective;
import dev.squeeze.spaces.SearchSpace;
import dev.squeeze.spaces.SpaceLoader;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;

/** The {@code bench search-quality} service: measured accuracy for every plan of a small space, then {@link SearchQuality}. */
public final class QualityBenchmark {
    private QualityBenchmark() {}

    /** @param cache a JSON-lines file of enumerated evaluations, reused when it exists (null: none) */
    public record Request(String model, String space, String device, List<Objective> objectives, int images, int population,
                          int generations, double budget, int seeds, int threads, Path dataDir, Path cache) {}

    public static SearchQuality.Result run(Request r, Progress progress) {
        ModelHandle model = ModelStore.load(r.model());
        SearchSpace space = SpaceLoader.resolve(ConfigFiles.find(r.space(), "spaces", "space").yaml(), model.graph());
        var spec = new EvaluatorSpec("bench search-quality", 42, r.images(), dev.squeeze.model.compress.Importance.L1, dev.squeeze.model.compress.ActivationCalibration.MINMAX, null, r.images(), null);
        DataSplits splits = DataSplits.load(r.dataDir(), spec.dataSeed(), spec.calibration());
        model.checkReads(splits);
        try (var backends = SearchBackends.of(model, space, spec, splits, r.device(), Objective.ACCURACY, 1, r.threads(), false, progress,
                new dev.squeeze.StopRequest(), dev.squeeze.evaluators.AccuracyRungs.LOCAL)) {
            var none = backends.measured().evaluate(List.of(CompressionPlan.none())).get(0).values();
            double baseline = none.get(Objective.ACCURACY.key());
            double[] reference = new double[r.objectives().size()];
            for (int i = 0; i < reference.length; i++) {
                Objective o = r.objectives().get(i);
                reference[i] = o == Objective.ACCURACY ? baseline - 0.10 : none.get(o.key());
            }
            // the first population as the real search seeds it: baselines, prune levels, sensitivity-guided plans
            var table = dev.squeeze.evaluators.SensitivityTable.measure(space, backends.measured(), Objective.ACCURACY, baseline);
            var seedPlans = SearchService.seeds(space, table, List.of(CompressionPlan.none(), CompressionPlan.uniform("w8a8")));
            var cache = new java.util.HashMap<String, dev.squeeze.evaluators.Evaluation>();
            if (r.cache() != null) cache.putAll(SearchService.readCache(r.cache()));
            int before = cache.size();
            var setup = new SearchQuality.Setup(r.objectives(), baseline, reference, r.population(), r.generations(), seedPlans,
                    backends.costs(), plan -> table.predict(plan, space), table.evaluations());
            var result = SearchQuality.run(space, backends.measured(), setup, r.budget(),
                    LongStream.rangeClosed(1, r.seeds()).boxed().toList(), cache, progress::log);
            if (r.cache() != null && cache.size() > before) SearchService.writeCache(r.cache(), cache);
            return result;
        }
    }
}
