package dev.squeeze.cli;

import dev.squeeze.Json;
import dev.squeeze.PeakMemory;
import dev.squeeze.model.compress.ActivationCalibration;
import dev.squeeze.model.compress.Applying;
import dev.squeeze.model.compress.Compressor;
import dev.squeeze.model.compress.Importance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "apply", mixinStandardHelpOptions = true,
        description = {"Apply a compression plan to a model: prune physically, optionally fine-tune with distillation,",
                "quantize; print params, MACs, size and test accuracy before and after, and write the result."})
final class ApplyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "A model zip or a built-in name (fashion-cnn, fashion-attention).")
    String model;

    @Option(names = "--plan", description = "A plan file (squeeze-plan/v1, YAML or JSON).")
    Path plan;

    @Option(names = "--uniform", description = "Plan shorthand for all layers: w8a8, w4a8p0.5 (weight bits, activation bits, prune ratio).")
    String uniform;

    @Option(names = "--finetune-epochs", defaultValue = "0", description = "Epochs of distillation fine-tuning from the original model, fractions allowed (default: ${DEFAULT-VALUE}).")
    double finetuneEpochs;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Fine-tuning learning rate (Adam), decayed linearly to zero (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--finetune-batch", defaultValue = "64", description = "Images per fine-tuning step (default: ${DEFAULT-VALUE}).")
    int finetuneBatch;

    @Option(names = "--recalibrate-bn", description = "After pruning, re-estimate batch norm statistics on the calibration images (no labels, one inference pass): pruned residual and depthwise networks read near chance without it.")
    boolean recalibrateBn;

    @Option(names = "--progressive", defaultValue = "1", paramLabel = "K", description = "Prune in K steps with fine-tuning between them (default: ${DEFAULT-VALUE}).")
    int progressive;

    @Option(names = "--no-qat", description = "Fine-tune float weights and quantize afterwards, instead of quantization-aware steps.")
    boolean noQat;

    @Option(names = "--importance", defaultValue = "l1", description = "Unit ranking: l1, l2, fpgm, activation, taylor (default: ${DEFAULT-VALUE}).")
    String importance;

    @Option(names = "--calibration", defaultValue = "minmax", description = "Activation ranges: minmax, percentile, mse (default: ${DEFAULT-VALUE}).")
    String calibration;

    @Option(names = "--align", defaultValue = "1", description = "Round kept units up to this multiple (default: ${DEFAULT-VALUE}).")
    int align;

    @Option(names = "--out", description = "Write the compressed DL4J zip here (its card and <name>.compression.json go beside it).")
    Path out;

    @Mixin
    DataOption data;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for splits and fine-tuning (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print {\"before\": {...}, \"after\": {...}} instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        if ((plan == null) == (uniform == null)) throw new dev.squeeze.SqueezeException("apply: give exactly one of --plan FILE or --uniform wNaN[pR]");
        Main.startBackend();
        var options = new Compressor.Options(Importance.parse(importance, "--importance"), align,
                ActivationCalibration.parse(calibration, "--calibration"), 500, recalibrateBn);
        String command = "squeeze " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        var result = Applying.run(new Applying.Request(model, plan, uniform, finetuneEpochs, lr, finetuneBatch, progressive, out, options, !noQat, data.path, seed, command),
                TerminalProgress.stderr(spec.commandLine().getErr()));
        var o = spec.commandLine().getOut();
        if (json) {
            var doc = new LinkedHashMap<String, Object>();
            doc.put("before", result.before());
            doc.put("after", result.after());
            doc.put("provenance", result.provenance());
            o.println(Json.write(doc));
            spec.commandLine().getErr().println(PeakMemory.closing("apply done"));
            return 0;
        }
        o.printf("%-9s %12s %14s %9s %9s%n", "", "params", "MACs", "size MB", "accuracy");
        row(o, "before", result.before());
        row(o, "after", result.after());
        if (result.written() != null) o.println("wrote " + result.written());
        o.println(PeakMemory.closing(String.format("accuracy on %d held-out test images%s", result.testImages(),
                result.finetuneSeconds() > 0 ? String.format("; fine-tuning took %.0f s", result.finetuneSeconds()) : "")));
        return 0;
    }

    private static void row(java.io.PrintWriter o, String label, Applying.Figures f) {
        o.printf("%-9s %,12d %,14d %9.3f %9.4f%n", label, f.params(), f.macs(), f.sizeMb(), f.accuracy());
    }
}
