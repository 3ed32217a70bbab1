package dev.squeeze.cli;

import dev.squeeze.PeakMemory;
import dev.squeeze.export.Exporting;
import dev.squeeze.export.TrialChoice;
import dev.squeeze.results.Objective;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Turn one trial of a run into a deployable model: prune physically, fine-tune with the plan's distillation "
                + "settings (kept only if it reads better on the calibration split than no fine-tune), quantize, and write "
                + "exports/<trial>/model.zip, model.onnx and manifest.json. ONNX Runtime runs the exported file on the held-out "
                + "test split and must agree with the DL4J simulation on >= 99.5%% of predictions.")
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "RUN", description = "A run folder, or a run id under --results.")
    String run;

    @Option(names = "--trial", description = "The trial id to export (see `squeeze report RUN`).")
    String trial;

    @Option(names = "--max-latency-ms", description = "Rule: only trials predicted at most this fast.")
    Double maxLatency;

    @Option(names = "--max-energy-mj", description = "Rule: only trials predicted at most this much energy.")
    Double maxEnergy;

    @Option(names = "--max-size-mb", description = "Rule: only trials at most this large.")
    Double maxSize;

    @Option(names = "--min-accuracy", description = "Rule: only trials at least this accurate.")
    Double minAccuracy;

    @Option(names = "--best", description = "Rule: of the trials within the limits, the best by this objective (accuracy, latency_ms, energy_mj, size_mb).")
    String best;

    @Option(names = "--epochs", description = "Distillation fine-tuning epochs (default: twice as long as the run's recovered rung fine-tuned, "
            + "at least 1; 0 = none).")
    Double epochs;

    @Option(names = "--force", description = "Overwrite an existing exports/<trial> folder.")
    boolean force;

    @Option(names = "--results", defaultValue = "results", description = "Where run ids are looked up (default: ${DEFAULT-VALUE}).")
    Path results;

    @Mixin
    DataOption data;

    @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime threads for the check (default: ${DEFAULT-VALUE}).")
    int threads;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        var limits = new LinkedHashMap<Objective, Double>();
        if (maxLatency != null) limits.put(Objective.LATENCY_MS, maxLatency);
        if (maxEnergy != null) limits.put(Objective.ENERGY_MJ, maxEnergy);
        if (maxSize != null) limits.put(Objective.SIZE_MB, maxSize);
        if (minAccuracy != null) limits.put(Objective.ACCURACY, minAccuracy);
        if (trial != null && (best != null || !limits.isEmpty())) throw new dev.squeeze.SqueezeException("export: give --trial ID or a rule, not both");
        var choice = new TrialChoice(trial, limits, best == null ? null : Objective.parse(best, "--best"));
        Main.startBackend();
        var result = Exporting.run(new Exporting.Request(run, results, choice, epochs, force, data.path, threads),
                TerminalProgress.stderr(spec.commandLine().getErr()));
        var m = result.manifest();
        var o = spec.commandLine().getOut();
        if (json.printed(m, "export done")) return 0;
        o.printf("exported trial %s to %s%n", m.trial(), result.dir());
        o.printf("  %,d params, %,d MACs, %.3f MB; predicted on %s: %s%n", m.params(), m.macs(), m.sizeMb(), m.device(), m.predicted());
        if (m.predictedLocalCpu() != null) o.printf("  predicted on local-cpu (this machine's calibrated profile): %.4f ms%n", m.predictedLocalCpu().get(Objective.LATENCY_MS.key()));
        o.printf("  measured here: %.4f ms per inference, uniform int8 %.4f ms (%.2fx); %s%n", m.measured().latencyMs(),
                m.measured().uniformInt8LatencyMs(), m.measured().speedupOverUniformInt8(), m.measured().method());
        var f = m.finetune();
        o.printf("  kept the %s model%s%n", f.kept(), f.fineTuned() == null ? ""
                : String.format(" (%s on %,d calibration images: fine-tuned %.4f, not fine-tuned %.4f; fine-tuned %.2f epochs of %,d)",
                f.metric(), f.validationImages(), f.fineTuned(), f.untuned(), f.epochs(), f.fineTuneImages()));
        for (var q : m.accuracy() == null || m.accuracy() == m.quality() ? java.util.List.of(m.quality()) : java.util.List.of(m.quality(), m.accuracy())) {
            o.printf("  test %s (%d images): baseline %.4f, DL4J simulation %.4f, ONNX Runtime %.4f%n",
                    q.metric(), q.testImages(), q.baseline(), q.dl4j(), q.onnxruntime());
            if (q.search() != null) o.printf("    the search measured %.4f (%s fidelity, calibration split)%n", q.search(), q.searchFidelity().key());
        }
        o.printf("  ONNX Runtime and the DL4J simulation agree on %.2f%% of test predictions%n", 100 * m.agreement());
        o.println(PeakMemory.closing("  export done"));
        return 0;
    }
}
