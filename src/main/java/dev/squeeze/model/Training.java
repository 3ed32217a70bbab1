package dev.squeeze.model;

import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.Version;
import dev.squeeze.data.DataSplits;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.nio.file.Path;
import java.time.Instant;

/** The {@code train} service: trains a baseline, measures it, writes the model zip and its card. */
public final class Training {
    private Training() {}

    /**
     * @param out     the model zip to write; null: {@code models/<name>.zip}, the name {@link Architecture#modelName} gives
     * @param command the command line that reproduces this run, recorded in the card
     * @param resume  continue from the checkpoint beside {@code out} ({@link TrainingCheckpoint}) when there is one
     */
    public record Request(Architecture architecture, int epochs, int batchSize, long seed, Path out, Path dataDir,
                          String command, boolean resume) {}

    /** The card written and the zip it was written into. */
    public record Trained(ModelCard card, Path file) {}

    public static Trained run(Request r, Progress progress) {
        DataSplits splits = DataSplits.load(r.dataDir(), r.seed(), DataSplits.DEFAULT_CALIBRATION);
        Signature data = Signature.of(splits.test()); // DataSources checks that every split has the same shape and classes
        Architecture a = r.architecture();
        a.checkFits(data); // before any training: a shape the architecture cannot take is one line, not a DL4J error
        String name = a.modelName(data);
        Path out = r.out() != null ? r.out() : Path.of("models", name + ".zip");
        progress.log(String.format("training %s on %d images (%s), testing on %d; seed %d",
                name, splits.train().count(), splits.description().source(),
                splits.test().count(), r.seed()));
        var run = new TrainingCheckpoint.Run(a.label(), r.epochs(), r.batchSize(), r.seed(),
                splits.description().source() + " " + splits.description().location());
        Trainer.Start from = start(r, out, run, progress);
        Trainer.Result result = Trainer.train(a, splits, r.epochs(), r.batchSize(), r.seed(), from,
                (net, done, accuracies, seconds) -> {
                    if (done < r.epochs()) new TrainingCheckpoint(run, done, accuracies, seconds, net instanceof ComputationGraph).save(net, out);
                }, progress);
        TensorShape input = a.inputShape(data);
        LayerGraph graph = Dl4jGraphs.of(name, result.network(), input);
        ModelCard card = new ModelCard(name, a.label(), a.encoding().name(), input.dims(), graph.params(), graph.macs(),
                result.testAccuracy(), splits.test().count(), splits.description(), r.seed(), r.epochs(), r.batchSize(),
                Math.round(result.seconds() * 10) / 10.0, r.command(), Version.squeeze(), Instant.now().toString(),
                result.epochTestAccuracy());
        ModelStore.save(result.network(), card, out);
        TrainingCheckpoint.delete(out);
        return new Trained(card, out);
    }

    /** A fresh start, or the checkpoint beside the output when {@code --resume} asks for it and it is this run's. */
    private static Trainer.Start start(Request r, Path out, TrainingCheckpoint.Run run, Progress progress) {
        var found = TrainingCheckpoint.find(out);
        if (found.isEmpty()) {
            if (r.resume()) progress.log("no checkpoint beside " + out + " to resume: training from the start");
            return Trainer.Start.FRESH;
        }
        TrainingCheckpoint c = found.get();
        if (!r.resume()) {
            progress.log(String.format("training from the start; the checkpoint beside %s (epoch %d of %d) is replaced "
                    + "(--resume would continue it)", out, c.epochsDone(), c.run().epochs()));
            return Trainer.Start.FRESH;
        }
        if (!c.run().equals(run)) {
            throw new SqueezeException(String.format("%s was written by another run (%s); this one is %s: give the same --arch, "
                    + "--epochs, --batch, --seed and --data to resume it, or leave out --resume to train from the start",
                    TrainingCheckpoint.stateFile(out), c.run(), run));
        }
        progress.log(String.format("resuming from %s after epoch %d of %d", TrainingCheckpoint.networkFile(out), c.epochsDone(), c.run().epochs()));
        return new Trainer.Start(c.network(out), c.epochsDone(), c.epochTestAccuracy(), c.seconds());
    }
}
