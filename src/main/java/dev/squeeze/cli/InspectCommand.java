package dev.squeeze.cli;

import dev.squeeze.Json;
import dev.squeeze.model.Inspection;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's layers: shapes, params, MACs, prunable units and dependency groups.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    GraphSource source;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        Inspection.Report report;
        if (source.model != null) {
            Main.startBackend();
            report = Inspection.ofModel(source.model);
        } else {
            report = Inspection.ofSpec(source.spec);
        }
        var out = spec.commandLine().getOut();
        out.println(json ? Json.write(report) : Tables.inspect(report));
        return 0;
    }
}
