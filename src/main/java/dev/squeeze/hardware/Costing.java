package dev.squeeze.hardware;

import dev.squeeze.SqueezeException;
import dev.squeeze.model.ArchitectureSpecs;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.DependencyGroup;
import dev.squeeze.model.LayerGraph;
import dev.squeeze.model.ModelStore;
import dev.squeeze.model.Plans;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Random;

/** The {@code cost} service: resolves model or spec, device and plan, and costs the plan. */
public final class Costing {
    private Costing() {}

    /**
     * One costing as the CLI asks for it.
     *
     * @param model   a DL4J model zip or built-in model name (exclusive with {@code spec}); needs ND4J started
     * @param spec    an architecture spec file or built-in spec name
     * @param device  a device name or profile file
     * @param plan    a plan file, or null
     * @param uniform {@code --uniform} shorthand, or null (neither: the uncompressed plan)
     * @param batch   examples per inference
     */
    public record Request(String model, String spec, String device, Path plan, String uniform, int batch) {
        public Request {
            if ((model == null) == (spec == null)) throw new SqueezeException("give --model or --spec (exactly one)");
            if (batch < 1) throw new SqueezeException("--batch must be at least 1, got " + batch);
        }
    }

    public static PlanCost run(Request r) {
        LayerGraph graph = graph(r);
        HardwareProfile profile = Profiles.load(r.device());
        CompressionPlan plan = Plans.resolve(r.plan(), r.uniform(), graph);
        return CostModel.of(graph, profile).cost(plan, r.batch());
    }

    private static LayerGraph graph(Request r) {
        return r.model() != null ? ModelStore.load(r.model()).graph() : ArchitectureSpecs.load(r.spec());
    }

    /**
     * How fast plans are costed on one thread.
     *
     * @param layers            layers in the graph
     * @param plans             distinct random plans cycled through
     * @param costings          costings timed per path
     * @param totalsPerSecond   {@link CostModel#totals} (what the search calls) per second
     * @param detailedPerSecond {@link CostModel#cost} (per-layer records and warnings) per second
     */
    public record Benchmark(String model, String device, int layers, int plans, long costings, double totalsPerSecond,
                            double detailedPerSecond) {}

    /** Costs {@code costings} random plans (pruning, weight and activation bits per layer) twice: totals, then detail. */
    public static Benchmark benchmark(Request r, long costings) {
        if (costings < 1) throw new SqueezeException("--benchmark needs a positive number of costings, got " + costings);
        LayerGraph graph = graph(r);
        CostModel model = CostModel.of(graph, Profiles.load(r.device()));
        List<CompressionPlan> plans = randomPlans(graph, 1024, 42);
        double sink = 0;
        for (int i = 0; i < 200_000; i++) sink += model.totals(plans.get(i & 1023), r.batch()).latencyMs(); // JIT warm-up
        long t0 = System.nanoTime();
        for (long i = 0; i < costings; i++) sink += model.totals(plans.get((int) (i & 1023)), r.batch()).latencyMs();
        long t1 = System.nanoTime();
        for (long i = 0; i < costings; i++) sink += model.cost(plans.get((int) (i & 1023)), r.batch()).total().latencyMs();
        long t2 = System.nanoTime();
        if (sink == 42) System.out.print(""); // keeps the loops from being optimised away
        return new Benchmark(graph.name(), model.profile().name(), graph.nodes().size(), plans.size(), costings,
                costings / ((t1 - t0) / 1e9), costings / ((t2 - t1) / 1e9));
    }

    /** Random plans of the kind a search space produces: per-group prune ratios, per-layer bits. */
    static List<CompressionPlan> randomPlans(LayerGraph graph, int count, long seed) {
        var random = new Random(seed);
        double[] ratios = {0, 0.125, 0.25, 0.375, 0.5};
        int[] weightBits = {2, 4, 8, 16, 32};
        int[] actBits = {8, 16, 32};
        var groupIds = graph.groups().stream().map(DependencyGroup::id).toList();
        return java.util.stream.IntStream.range(0, count).mapToObj(k -> {
            var layers = new HashMap<String, CompressionPlan.LayerPlan>();
            for (String layer : graph.layerNames()) {
                double ratio = groupIds.contains(layer) ? ratios[random.nextInt(ratios.length)] : 0;
                layers.put(layer, new CompressionPlan.LayerPlan(ratio, weightBits[random.nextInt(weightBits.length)],
                        actBits[random.nextInt(actBits.length)]));
            }
            return new CompressionPlan(CompressionPlan.NONE, layers, CompressionPlan.Distillation.DEFAULT);
        }).toList();
    }
}
