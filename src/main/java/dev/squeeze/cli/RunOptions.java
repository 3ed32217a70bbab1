package dev.squeeze.cli;

import dev.squeeze.search.Job;
import dev.squeeze.search.SearchService;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by {@code search} and {@code demo}: where results go and how progress is shown. */
final class RunOptions {
    @Option(names = "--results", defaultValue = "results", description = "Folder for run folders (default: ${DEFAULT-VALUE}).")
    Path results;

    @Option(names = "--run-id", description = "Name of the run folder (default: <job>-<timestamp>).")
    String runId;

    @Mixin
    DataOption data;

    @Option(names = "--quiet", description = "Print only the final front.")
    boolean quiet;

    @Option(names = "--json-lines", description = "Print one JSON object per generation on standard output (for scripts).")
    boolean jsonLines;

    int execute(CommandSpec spec, Job job, String jobSource, Path resume) {
        var out = spec.commandLine().getOut();
        SearchService.Output mode = jsonLines ? SearchService.Output.JSON_LINES : quiet ? SearchService.Output.QUIET : SearchService.Output.TERMINAL;
        var progress = quiet || jsonLines ? dev.squeeze.Progress.NONE : TerminalProgress.stderr(spec.commandLine().getErr());
        SearchService.Result result = SearchService.run(new SearchService.Request(job, jobSource, results, runId, resume, data.dir, mode,
                        java.time.Instant.ofEpochMilli(java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime()),
                        new dev.squeeze.StopRequest()),
                progress, line -> {
                    out.println(line);
                    out.flush();
                });
        if (!jsonLines) {
            out.print(Tables.front(result.front()));
            out.printf("results: %s (front.json, front.csv, trials.jsonl); next: squeeze report %s%n", result.runDir(), result.runDir());
        }
        return 0;
    }
}
