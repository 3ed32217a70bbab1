package dev.squeeze.cli;

import dev.squeeze.results.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Show a run's Pareto front and baselines, and write report.html (plots, per-layer plans, provenance) into the run folder.")
final class ReportCommand implements Callable<Integer> {
    enum Format { table, csv, json, markdown }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "A run folder, or a run id under --results.")
    String run;

    @Option(names = "--format", defaultValue = "table", description = "table (default), csv, json or markdown (csv and json: front.csv's and front.json's layout).")
    Format format;

    @Option(names = "--results", defaultValue = "results", description = "Where run ids are looked up (default: ${DEFAULT-VALUE}).")
    Path results;

    @Override
    public Integer call() {
        RunReport report = RunReport.load(run, results);
        var out = spec.commandLine().getOut();
        // on stderr, so csv and json output stays parseable
        if (report.skipped() != null) spec.commandLine().getErr().println("squeeze: " + report.skipped());
        Path html = report.writeHtml();
        switch (format) {
            case table -> out.print(Tables.report(report, html));
            case csv -> out.print(report.csv());
            case json -> out.println(report.json());
            case markdown -> out.print(report.markdown());
        }
        out.flush();
        return 0;
    }
}
