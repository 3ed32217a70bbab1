package dev.squeeze.cli;

import dev.squeeze.evaluators.cluster.ClusterSecret;
import dev.squeeze.evaluators.cluster.ClusterSpec;
import dev.squeeze.results.Objective;
import dev.squeeze.search.Job;
import dev.squeeze.search.SearchService;
import dev.squeeze.search.Searches;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"Search for the Pareto-optimal compression plans of a model on a device (NSGA-II).",
                "Every trial is saved as it finishes; a crash loses at most the batch in flight (continue with --resume).",
                "SIGINT (Ctrl-C) or SIGTERM stops the run cleanly: evaluations under way finish or are abandoned, front.json",
                "and front.csv get the trials so far, and the last line says how to resume; a second signal stops at once."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:the run reached its own limit (generations, time budget, stagnation)",
                "2:bad input (the message names the file or field)",
                "130:stopped by SIGINT (Ctrl-C): resume with --resume",
                "143:stopped by SIGTERM: resume with --resume"})
final class SearchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "JOB", description = "A job file (search/*.yaml) or a shipped job's name.")
    String job;

    @Option(names = "--model", description = "Model zip or built-in name (overrides the job).")
    String model;

    @Option(names = "--space", description = "Space file (spaces/*.yaml).")
    String space;

    @Option(names = "--evaluator", description = "Evaluator file (evaluators/*.yaml).")
    String evaluator;

    @Option(names = "--device", description = "Hardware profile name or file.")
    String device;

    @Option(names = "--objectives", split = ",", description = "Comma-separated: one quality metric (accuracy, top5_accuracy; or, needing no labels, agreement, "
            + "output_cosine, output_kl) and costs (latency_ms, energy_mj, size_mb, peak_memory_mb).")
    List<String> objectives;

    @Option(names = "--population", description = "Population size.")
    Integer population;

    @Option(names = "--generations", description = "Generations.")
    Integer generations;

    @Option(names = "--time-budget", description = "Stop after this long and keep the front so far (e.g. 90s, 5m).")
    String timeBudget;

    @Option(names = "--seed", description = "Seed of the search.")
    Long seed;

    @Option(names = "--threads", description = "Candidates evaluated in parallel (one network copy each).")
    Integer threads;

    @Option(names = "--max-latency-ms", description = "Constraint: predicted latency at most this.")
    Double maxLatencyMs;

    @Option(names = "--max-accuracy-drop", description = "Constraint: the quality metric's drop against the uncompressed model at most this (accuracy: 0.01 = 1 point).")
    Double maxAccuracyDrop;

    @Option(names = "--max-size-mb", description = "Constraint: model size at most this.")
    Double maxSizeMb;

    @Option(names = "--max-energy-mj", description = "Constraint: energy per inference at most this.")
    Double maxEnergyMj;

    @Option(names = "--resume", description = "Continue an interrupted run folder (its run.yaml wins over every other option but --cluster).")
    Path resume;

    @Option(names = "--cluster", paramLabel = "HOST:PORT[,...]",
            description = {"Measure plans on the squeeze workers of the cluster these members belong to (costs stay here; see `squeeze worker`);",
                    "`local` measures on this machine. The shared secret comes from " + ClusterSecret.ENV + "."})
    String cluster;

    @Option(names = "--cluster-name", description = "The cluster's name, as its workers were given (default: " + ClusterSpec.DEFAULT_NAME + ").")
    String clusterName;

    @Mixin
    RunOptions run;

    @Override
    public Integer call() {
        Job resolved = resume != null ? null : Searches.resolve(new Searches.Flags(job,
                new Job.Overrides(model, space, evaluator, device, population, generations,
                        timeBudget == null ? null : Searches.duration(timeBudget), seed, threads),
                objectives == null ? null : objectives.stream().map(o -> Objective.parse(o, "--objectives")).toList(),
                maxLatencyMs, maxAccuracyDrop, maxSizeMb, maxEnergyMj));
        return run.execute(spec, resolved, job, resume, Searches.cluster(cluster, clusterName));
    }
}
