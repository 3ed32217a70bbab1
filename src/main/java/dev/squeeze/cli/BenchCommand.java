package dev.squeeze.cli;

import dev.squeeze.PeakMemory;
import dev.squeeze.results.Objective;
import dev.squeeze.search.QualityBenchmark;
import dev.squeeze.search.SearchQuality;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that print their figures.",
        subcommands = {BenchCommand.SearchQualityCommand.class, BenchCommand.CompressCommand.class, BenchCommand.EvalSpeedCommand.class,
                BenchCommand.ClusterCommand.class, BenchCommand.ExportSpeedCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "compress", mixinStandardHelpOptions = true,
            description = {"Accuracy of the compression operators on the held-out test split: int8 without fine-tuning,",
                    "half the conv channels + int8 + distillation, half the attention heads + distillation, and",
                    "distillation against hard labels on a plan that loses more than five points. Takes ~10-20 minutes."})
    static final class CompressCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--scenarios", split = ",", defaultValue = "int8,cnn-half-channels,attention-half-heads,kd-vs-hard",
                description = "Scenarios to run (default: ${DEFAULT-VALUE}).")
        List<String> scenarios;

        @Option(names = "--epochs", defaultValue = "1", description = "Fine-tuning epochs per scenario (default: ${DEFAULT-VALUE}).")
        double epochs;

        @Option(names = "--lr", description = "Fine-tuning learning rate for every model, decayed linearly to zero (default: 1e-3 for fashion-cnn, 3e-3 for fashion-attention).")
        Double lr;

        @Option(names = "--importance", defaultValue = "taylor", description = "Unit ranking for pruning (default: ${DEFAULT-VALUE}).")
        String importance;

        @Mixin
        DataOption data;

        @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            Main.startBackend();
            var rows = dev.squeeze.bench.CompressionBenchmark.run(
                    new dev.squeeze.bench.CompressionBenchmark.Request(scenarios, epochs,
                            lr == null ? dev.squeeze.bench.CompressionBenchmark.Request.DEFAULT_LEARNING_RATES
                                    : java.util.Map.of("fashion-cnn", lr, "fashion-attention", lr),
                            dev.squeeze.model.compress.Importance.parse(importance, "--importance"), data.path, seed),
                    TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (json.printed(rows, "bench compress done")) return 0;
            out.printf("%-21s %-18s %-38s %-38s %8s %8s %7s %11s %9s%n", "scenario", "model", "plan", "fine-tuning", "baseline", "after",
                    "drop", "target", "params");
            for (var r : rows) {
                out.printf("%-21s %-18s %-38s %-38s %8.4f %8.4f %7.2f %11s %,9d%n", r.scenario(), r.model(), r.plan(), r.finetune(), r.baseline(),
                        r.accuracy(), r.dropPoints(), r.targetDropPoints() == null ? "-" : (r.met() ? "<= " : "MISSED ") + r.targetDropPoints(), r.params());
            }
            out.println(PeakMemory.closing("accuracy on the held-out test split; drop in points against the uncompressed model measured the same way"));
            return 0;
        }
    }

    @Command(name = "eval-speed", mixinStandardHelpOptions = true,
            description = {"Throughput of the measured rung (apply a plan, then measure accuracy) in DL4J and in ONNX Runtime,",
                    "side by side with ONNX Runtime's inference throughput on the uncompressed model: same images, same threads."})
    static final class EvalSpeedCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", defaultValue = "fashion-cnn", description = "Model (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--images", defaultValue = "2000", description = "Calibration images per evaluation (default: ${DEFAULT-VALUE}).")
        int images;

        @Option(names = "--threads", defaultValue = "2", description = "Threads for both sides (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--rounds", defaultValue = "2", description = "Passes over the 8 benchmark plans (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Mixin
        DataOption data;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            Main.startBackend();
            var r = dev.squeeze.bench.EvaluationSpeed.run(new dev.squeeze.bench.EvaluationSpeed.Request(model, images, threads, rounds, data.path),
                    TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (json.printed(r, "bench eval-speed done")) return 0;
            out.printf("%s, %d calibration images, %d threads, %d plan evaluations per rung%n", r.model(), r.images(), r.threads(), r.plansEvaluated());
            out.printf("  ONNX Runtime inference, uncompressed model (warm session, faster of 50- and 500-image batches): %8.0f img/s%n", r.ortUncompressedImagesPerSecond());
            out.printf("  measured rung, DL4J simulation (apply+measure): %8.0f img/s  (%.0f%% of ONNX Runtime)%n", r.dl4jImagesPerSecond(), 100 * r.dl4jShare());
            out.printf("  measured rung, ONNX Runtime (apply+measure):    %8.0f img/s  (%.0f%% of ONNX Runtime)%n", r.onnxImagesPerSecond(), 100 * r.onnxShare());
            out.printf("  largest accuracy difference between the two rungs on 3 plans: %.4f%n", r.maxAccuracyDifference());
            out.println("  per plan, one thread (median ms):");
            for (var s : r.stages()) out.printf("    %-58s %8.1f%n", s.name(), s.millis());
            out.println(PeakMemory.closing("  done"));
            return 0;
        }
    }

    @Command(name = "cluster", mixinStandardHelpOptions = true,
            description = {"Measured-rung evaluations per second on this machine (1 and 2 threads) and through a cluster of worker",
                    "processes on loopback (1 and 2 workers, one thread each), and the overhead per evaluation of the cluster, side by side."})
    static final class ClusterCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", defaultValue = "fashion-cnn", description = "Model (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--images", defaultValue = "500", description = "Calibration images per evaluation (default: ${DEFAULT-VALUE}).")
        int images;

        @Option(names = "--plans", defaultValue = "30", description = "Distinct plans per configuration (default: ${DEFAULT-VALUE}).")
        int plans;

        @Option(names = "--rounds", defaultValue = "3", description = "Turns each configuration takes; medians are printed (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Mixin
        DataOption data;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            Main.startBackend();
            var r = dev.squeeze.bench.ClusterBenchmark.run(new dev.squeeze.bench.ClusterBenchmark.Request(model, images, plans, rounds, data.path),
                    TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (json.printed(r, "bench cluster done")) return 0;
            out.printf("%s, measured rung, %d calibration images, %d distinct plans per configuration, median of %d rounds%n", r.model(), r.images(),
                    r.plans(), r.rounds());
            out.printf("  this machine, 1 thread:                    %6.2f evaluations/s%n", r.localOneThread());
            out.printf("  this machine, 2 threads:                   %6.2f evaluations/s%n", r.localTwoThreads());
            out.printf("  cluster, 1 worker process (1 thread):      %6.2f evaluations/s%n", r.oneWorker());
            out.printf("  cluster, 2 worker processes (1 thread each): %4.2f evaluations/s  (%.2fx one worker)%n", r.twoWorkers(), r.speedup());
            out.printf("  overhead per evaluation through the cluster: %.1f ms (wall time, 1 worker against 1 local thread), "
                    + "%.1f ms (round trip less the worker's own time)%n", r.overheadWallMs(), r.overheadRoundTripMs());
            out.println(PeakMemory.closing("  done"));
            return 0;
        }
    }

    @Command(name = "export-speed", mixinStandardHelpOptions = true,
            description = {"ONNX Runtime latency of exported plans, one format after another (fashion-cnn: fp32, uniform int8, pruned",
                    "mixes of 2..8-bit weights, 4..8-bit activations, fp16), each beside the uniform-int8 export of the same",
                    "pruning: one process, batch 1, one thread, interleaved rounds, medians. No fine-tuning."})
    static final class ExportSpeedCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", defaultValue = "fashion-cnn", description = "Model (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--uniform", split = ",", paramLabel = "SPEC", description = "Uniform plans to time as well, e.g. w3a6,w2a4p0.25.")
        List<String> uniform = new java.util.ArrayList<>();

        @Option(names = "--plan", description = "A plan file to time as well (repeatable).")
        List<Path> plans = new java.util.ArrayList<>();

        @Option(names = "--front", description = "A run whose front members to time as well (repeatable).")
        List<String> fronts = new java.util.ArrayList<>();

        @Option(names = "--results", defaultValue = "results", description = "Where --front run ids are looked up (default: ${DEFAULT-VALUE}).")
        Path results;

        @Option(names = "--rounds", defaultValue = "31", description = "Interleaved rounds (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--runs", defaultValue = "100", description = "Timed runs of each model per round (default: ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--images", defaultValue = "2000", description = "Test images for the agreement and accuracy columns (default: ${DEFAULT-VALUE}).")
        int images;

        @Mixin
        DataOption data;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            Main.startBackend();
            var r = dev.squeeze.bench.ExportSpeed.run(new dev.squeeze.bench.ExportSpeed.Request(model, uniform, plans, fronts, results, rounds, runs, images,
                    data.path), TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (json.printed(r, "bench export-speed done")) return 0;
            out.printf("%s in ONNX Runtime: batch 1, 1 intra-op thread, %d interleaved rounds of %d runs per model; us = median of the rounds'"
                    + " medians, ratio = median of the rounds' ratios to the uniform-int8 export of the same pruning; agreement (DL4J simulation vs"
                    + " ONNX Runtime) and accuracy on %d test images of %s%n", r.model(), r.rounds(), r.runs(), r.images(), r.data());
            out.printf("%-32s %9s %11s %7s %7s %7s %8s  %s%n", "plan", "us", "int8 same", "ratio", "agree", "acc", "KB", "what ONNX Runtime runs");
            for (var row : r.rows()) {
                out.printf("%-32s %9.1f %11.1f %7.2f %7.4f %7.4f %8.1f  %s%n", row.name(), row.micros(), row.int8Micros(), row.ratio(), row.agreement(),
                        row.accuracy(), row.bytes() / 1e3, row.kernels());
            }
            out.println("plans:");
            for (var row : r.rows()) out.printf("  %-30s %s   (int8 same pruning: %s)%n", row.name(), row.plan(), row.int8Plan());
            return 0;
        }
    }

    @Command(name = "search-quality", mixinStandardHelpOptions = true,
            description = {"Enumerate a small space at measured fidelity, then compare the fronts of squeeze's search (NSGA-II with",
                    "model-screened offspring), of NSGA-II alone and of random search with the exhaustive front (hypervolume",
                    "shares) after a quarter, half and all of the budget's evaluations, per seed, with the median and the worst seed."})
    static final class SearchQualityCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", defaultValue = "fashion-cnn", description = "Model (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--space", defaultValue = "spaces/quality-cnn.yaml", description = "A space of at most 5,000 plans (default: ${DEFAULT-VALUE}).")
        String space;

        @Option(names = "--device", defaultValue = "raspberry-pi-4", description = "Device (default: ${DEFAULT-VALUE}).")
        String device;

        @Option(names = "--objectives", split = ",", defaultValue = "accuracy,latency_ms,size_mb", description = "Objectives (default: ${DEFAULT-VALUE}).")
        List<String> objectives;

        @Option(names = "--images", defaultValue = "300", description = "Calibration images per evaluation (default: ${DEFAULT-VALUE}).")
        int images;

        @Option(names = "--population", defaultValue = "32", description = "NSGA-II population (default: ${DEFAULT-VALUE}).")
        int population;

        @Option(names = "--generations", defaultValue = "30", description = "NSGA-II generations at most (default: ${DEFAULT-VALUE}).")
        int generations;

        @Option(names = "--budget", defaultValue = "0.2",
                description = "Share of the space a search may evaluate; fronts are read after a quarter, half and all of it (default: ${DEFAULT-VALUE}).")
        double budget;

        @Option(names = "--seeds", defaultValue = "5", description = "Seeds; medians and the worst seed are reported (default: ${DEFAULT-VALUE}).")
        int seeds;

        @Option(names = "--threads", defaultValue = "2", description = "Evaluation threads (default: ${DEFAULT-VALUE}).")
        int threads;

        @Mixin
        DataOption data;

        @Option(names = "--cache", description = "JSON-lines file of enumerated evaluations: reused when present, written otherwise.")
        Path cache;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            Main.startBackend();
            SearchQuality.Result r = QualityBenchmark.run(new QualityBenchmark.Request(model, space, device,
                    objectives.stream().map(o -> Objective.parse(o, "--objectives")).toList(), images, population, generations, budget,
                    seeds, threads, data.path, cache), TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (!json.printed(r, "bench search-quality done")) {
                out.printf("%d plans enumerated; exhaustive front hypervolume %.4f%n", r.plans(), r.exhaustiveHypervolume());
                var shares = r.checkpoints().stream().map(n -> String.format("%.0f%%", 100.0 * n / r.plans())).toList();
                out.printf("share of the exhaustive hypervolume after %s of the space's evaluations (%s plans)%n",
                        String.join(" / ", shares), String.join(" / ", r.checkpoints().stream().map(String::valueOf).toList()));
                if (r.priorEvaluations() > 0) {
                    out.printf("squeeze's counts include the %d evaluations of its sensitivity table, measured before its first generation%n",
                            r.priorEvaluations());
                }
                var header = new java.util.ArrayList<>(List.of("seed"));
                for (var m : r.methods()) shares.forEach(p -> header.add(m.method() + " " + p));
                var rows = new java.util.ArrayList<List<String>>();
                for (int i = 0; i < r.methods().get(0).seeds().size(); i++) {
                    var row = new java.util.ArrayList<>(List.of(String.valueOf(r.methods().get(0).seeds().get(i).seed())));
                    for (var m : r.methods()) m.seeds().get(i).shares().forEach(v -> row.add(String.format("%.1f%%", 100 * v)));
                    rows.add(row);
                }
                for (String what : List.of("median", "worst")) {
                    var row = new java.util.ArrayList<>(List.of(what));
                    for (var m : r.methods()) (what.equals("median") ? m.median() : m.worst()).forEach(v -> row.add(String.format("%.1f%%", 100 * v)));
                    rows.add(row);
                }
                out.print(Tables.render(header, rows));
                var squeeze = r.method("squeeze");
                out.println(PeakMemory.closing(String.format("squeeze at %s: median %.1f%%, worst seed %.1f%%; at %s: median %.1f%%",
                        shares.get(2), 100 * squeeze.median().get(2), 100 * squeeze.worst().get(2), shares.get(1), 100 * squeeze.median().get(1))));
            }
            return 0;
        }
    }
}
