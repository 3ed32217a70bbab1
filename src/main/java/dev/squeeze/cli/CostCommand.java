package dev.squeeze.cli;

import dev.squeeze.Json;
import dev.squeeze.hardware.Costing;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "cost", mixinStandardHelpOptions = true,
        description = "Predict a plan's latency, energy, size and peak memory on a device, per layer.")
final class CostCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    GraphSource source;

    @Option(names = "--device", required = true, description = "A device profile name (see `squeeze profiles list`) or a profile YAML file.")
    String device;

    @Option(names = "--plan", description = "A plan file (squeeze-plan/v1, YAML or JSON).")
    Path plan;

    @Option(names = "--uniform", description = "Plan shorthand for all layers: w8a8, w4a8p0.5 (weight bits, activation bits, prune ratio).")
    String uniform;

    @Option(names = "--batch", defaultValue = "1", description = "Examples per inference (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(names = "--benchmark", hidden = true, paramLabel = "N", description = "Time N costings of random plans and print plans/s.")
    Long benchmark;

    @Override
    public Integer call() {
        if (source.model != null) Main.startBackend();
        var request = new Costing.Request(source.model, source.spec, device, plan, uniform, batch);
        var out = spec.commandLine().getOut();
        if (benchmark != null) {
            var b = Costing.benchmark(request, benchmark);
            out.println(json ? Json.write(b) : CostTables.benchmark(b));
            return 0;
        }
        var cost = Costing.run(request);
        out.println(json ? Json.write(cost) : CostTables.cost(cost));
        return 0;
    }
}
