package dev.squeeze.cli;

import dev.squeeze.Json;
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
        subcommands = {BenchCommand.SearchQualityCommand.class, BenchCommand.CompressCommand.class, BenchCommand.EvalSpeedCommand.class})
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

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            Main.startBackend();
            var rows = dev.squeeze.model.compress.CompressionBenchmark.run(
                    new dev.squeeze.model.compress.CompressionBenchmark.Request(scenarios, epochs,
                            lr == null ? dev.squeeze.model.compress.CompressionBenchmark.Request.DEFAULT_LEARNING_RATES
                                    : java.util.Map.of("fashion-cnn", lr, "fashion-attention", lr),
                            dev.squeeze.model.compress.Importance.parse(importance, "--importance"), data.dir, seed),
                    TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(rows));
                spec.commandLine().getErr().println(PeakMemory.closing("bench compress done"));
                return 0;
            }
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

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            Main.startBackend();
            var r = dev.squeeze.evaluators.EvaluationSpeed.run(new dev.squeeze.evaluators.EvaluationSpeed.Request(model, images, threads, rounds, data.dir),
                    TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(r));
                spec.commandLine().getErr().println(PeakMemory.closing("bench eval-speed done"));
                return 0;
            }
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

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            Main.startBackend();
            SearchQuality.Result r = QualityBenchmark.run(new QualityBenchmark.Request(model, space, device,
                    objectives.stream().map(o -> Objective.parse(o, "--objectives")).toList(), images, population, generations, budget,
                    seeds, threads, data.dir, cache), TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(r));
                spec.commandLine().getErr().println(PeakMemory.closing("bench search-quality done"));
            } else {
                out.printf("%d plans enumerated; exhaustive front hypervolume %.4f%n", r.plans(), r.exhaustiveHypervolume());
                var shares = r.checkpoints().stream().map(n -> String.format("%.0f%%", 100.0 * n / r.plans())).toList();
                out.printf("share of the exhaustive hypervolume after %s of the space's evaluations (%s plans)%n",
                        String.join(" / ", shares), String.join(" / ", r.checkpoints().stream().map(String::valueOf).toList()));
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
