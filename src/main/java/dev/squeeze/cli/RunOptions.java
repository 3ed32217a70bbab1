package dev.squeeze.cli;

import dev.squeeze.StopRequest;
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

    /**
     * Runs the search; SIGINT or SIGTERM stops it cleanly ({@link StopSignals#gracefully}): the front of the trials so far
     * is written, one line says how to resume, and the exit code is 130 (SIGINT) or 143 (SIGTERM).
     */
    int execute(CommandSpec spec, Job job, String jobSource, Path resume, dev.squeeze.evaluators.cluster.ClusterSpec cluster) {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        SearchService.Output mode = jsonLines ? SearchService.Output.JSON_LINES : quiet ? SearchService.Output.QUIET : SearchService.Output.TERMINAL;
        var progress = quiet || jsonLines ? dev.squeeze.Progress.NONE : TerminalProgress.stderr(err);
        var stop = new StopRequest();
        java.util.function.Consumer<String> notice = quiet || jsonLines ? line -> {
            err.println(line);
            err.flush();
        } : progress::log;
        try (var signals = StopSignals.gracefully(stop, notice, err)) {
            SearchService.Result result = SearchService.run(new SearchService.Request(job, jobSource, results, runId, resume, data.path, mode,
                            java.time.Instant.ofEpochMilli(java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime()), stop, cluster),
                    progress, line -> {
                        out.println(line);
                        out.flush();
                    });
            if (!jsonLines) {
                out.print(Tables.front(result.front()));
                out.printf("results: %s (front.json, front.csv, trials.jsonl); next: squeeze report %s%n", result.runDir(), result.runDir());
                out.flush();
            }
            if (result.outcome().complete()) return 0;
            err.printf("squeeze: the run stopped on %s after %d trials; front.json and front.csv hold the front so far; continue it with: %s%n",
                    result.outcome().stoppedBecause(), result.outcome().trials().size(), resumeCommand(result.runDir()));
            err.flush();
            return signals.exitCode().orElseThrow();
        }
    }

    /** The command that continues a run folder (with this run's --results, where the evaluation cache lives). */
    private String resumeCommand(Path runDir) {
        String command = "squeeze search --resume " + shellWord(runDir.toString());
        return results.equals(Path.of("results")) ? command : command + " --results " + shellWord(results.toString());
    }

    private static String shellWord(String s) {
        return s.matches("[A-Za-z0-9_./:=+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
