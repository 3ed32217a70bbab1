package dev.squeeze.cli;

import dev.squeeze.model.Architecture;
import dev.squeeze.model.ModelCard;
import dev.squeeze.model.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a baseline model for the data's shape and classes (Fashion-MNIST by default) and write a DL4J zip and a model card.")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--arch", required = true, description = "cnn, attention (sequential networks), resnet or mobilenet (computation graphs) for images; mlp for rows of features (CSV, flat NPY).")
    String arch;

    @Option(names = "--epochs", defaultValue = "10", description = "Epochs over the train split (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "64", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights, shuffling and splits (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", description = "Model zip to write (default: models/<name>.zip, e.g. fashion-cnn or resnet-3x32x32-10); the card goes beside it as <name>.card.json.")
    Path out;

    @Option(names = "--resume", description = "Continue from the checkpoint a stopped run left beside --out (NAME.checkpoint.zip, "
            + "written after every epoch); the same --arch, --epochs, --batch, --seed and --data are needed.")
    boolean resume;

    @Mixin
    DataOption data;

    @Override
    public Integer call() {
        Main.startBackend();
        Architecture a = Architecture.parse(arch);
        String command = "squeeze train --arch " + a.label() + " --epochs " + epochs + " --batch " + batch
                + " --seed " + seed + (out != null ? " --out " + out : "") + (data.path != null ? " --data " + data.path : "");
        Training.Trained t = Training.run(new Training.Request(a, epochs, batch, seed, out, data.path, command, resume),
                TerminalProgress.stderr(spec.commandLine().getErr()));
        ModelCard card = t.card();
        spec.commandLine().getOut().println(dev.squeeze.PeakMemory.closing(String.format("wrote %s (%,d params, %,d MACs, test accuracy %.4f on %d images)",
                t.file(), card.params(), card.macs(), card.testAccuracy(), card.testExamples())));
        return 0;
    }
}
