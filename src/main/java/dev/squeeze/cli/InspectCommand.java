package dev.squeeze.cli;

import dev.squeeze.Json;
import dev.squeeze.PeakMemory;
import dev.squeeze.data.DataInspection;
import dev.squeeze.model.Inspection;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show a model's layers: shapes, params, MACs, prunable units and dependency groups.",
                "With --data: what squeeze finds in the data: format, shape, classes, per-split and per-class counts, value range after scaling, "
                        + "the train/calibration/test cut commands make, and anything skipped."})
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    GraphSource source;

    @Option(names = "--data", paramLabel = "DIR|FILE", description = "Inspect data instead of a model: a data folder or a squeeze-data/v1 file.")
    Path data;

    @Option(names = "--skip-bad", description = "With --data: leave out unreadable images (listed) instead of stopping at the first.")
    boolean skipBad;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        if ((source == null) == (data == null)) {
            throw new ParameterException(spec.commandLine(), "give one of --model, --spec or --data");
        }
        var out = spec.commandLine().getOut();
        if (data != null) {
            long start = System.nanoTime();
            DataInspection.Report report = DataInspection.of(data, skipBad);
            out.println(json ? Json.write(report) : Tables.inspectData(report));
            // reading a large image folder is the memory-hungry part of any command on it: say what it took
            spec.commandLine().getErr().println(PeakMemory.closing(String.format(Locale.ROOT, "read %s in %.1f s",
                    data, (System.nanoTime() - start) / 1e9)));
            return 0;
        }
        Inspection.Report report;
        if (source.model != null) {
            Main.startBackend();
            report = Inspection.ofModel(source.model);
        } else {
            report = Inspection.ofSpec(source.spec);
        }
        out.println(json ? Json.write(report) : Tables.inspect(report));
        return 0;
    }
}
