package dev.squeeze.model;

import dev.squeeze.Progress;
import dev.squeeze.Version;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.FashionMnist;
import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;

import org.deeplearning4j.nn.graph.ComputationGraph;

import java.nio.file.Path;
import java.time.Instant;

/** The {@code train} service: trains a baseline, measures it, writes the model zip and its card. */
public final class Training {
    private Training() {}

    /**
     * @param command the command line that reproduces this run, recorded in the card
     * @param resume  continue from the checkpoint beside {@code out} ({@link TrainingCheckpoint}) when there is one
     */
    public record Request(Architecture architecture, int epochs, int batchSize, long seed, Path out, Path dataDir,
                          String command, boolean resume) {}

    public static ModelCard run(Request r, Progress progress) {
        DataSplits splits = DataSplits.load(r.dataDir(), r.seed(), DataSplits.DEFAULT_CALIBRATION);
        checkFits(r.architecture(), splits);
        progress.log(String.format("training %s on %d images (%s), testing on %d; seed %d",
                r.architecture().label(), splits.train().count(), splits.description().source(),
                splits.test().count(), r.seed()));
        var run = new TrainingCheckpoint.Run(r.architecture().label(), r.epochs(), r.batchSize(), r.seed(),
                splits.description().source() + " " + splits.description().location());
        Trainer.Start from = start(r, run, progress);
        Trainer.Result result = Trainer.train(r.architecture(), splits, r.epochs(), r.batchSize(), r.seed(), from,
                (net, done, accuracies, seconds) -> {
                    if (done < r.epochs()) new TrainingCheckpoint(run, done, accuracies, seconds, net instanceof ComputationGraph).save(net, r.out());
                }, progress);
        LayerGraph graph = Dl4jGraphs.of(r.architecture().builtInName(), result.network(), r.architecture().inputShape());
        ModelCard card = new ModelCard(r.architecture().builtInName(), r.architecture().label(),
                r.architecture().encoding().name(), r.architecture().inputShape().dims(), graph.params(), graph.macs(),
                result.testAccuracy(), splits.test().count(), splits.description(), r.seed(), r.epochs(), r.batchSize(),
                Math.round(result.seconds() * 10) / 10.0, r.command(), Version.squeeze(), Instant.now().toString(),
                result.epochTestAccuracy());
        ModelStore.save(result.network(), card, r.out());
        TrainingCheckpoint.delete(r.out());
        return card;
    }

    /** A fresh start, or the checkpoint beside the output when {@code --resume} asks for it and it is this run's. */
    private static Trainer.Start start(Request r, TrainingCheckpoint.Run run, Progress progress) {
        var found = TrainingCheckpoint.find(r.out());
        if (found.isEmpty()) {
            if (r.resume()) progress.log("no checkpoint beside " + r.out() + " to resume: training from the start");
            return Trainer.Start.FRESH;
        }
        TrainingCheckpoint c = found.get();
        if (!r.resume()) {
            progress.log(String.format("training from the start; the checkpoint beside %s (epoch %d of %d) is replaced "
                    + "(--resume would continue it)", r.out(), c.epochsDone(), c.run().epochs()));
            return Trainer.Start.FRESH;
        }
        if (!c.run().equals(run)) {
            throw new SqueezeException(String.format("%s was written by another run (%s); this one is %s: give the same --arch, "
                    + "--epochs, --batch, --seed and --data to resume it, or leave out --resume to train from the start",
                    TrainingCheckpoint.stateFile(r.out()), c.run(), run));
        }
        progress.log(String.format("resuming from %s after epoch %d of %d", TrainingCheckpoint.networkFile(r.out()), c.epochsDone(), c.run().epochs()));
        return new Trainer.Start(c.network(r.out()), c.epochsDone(), c.epochTestAccuracy(), c.seconds());
    }

    /**
     * The built-in architectures read Fashion-MNIST's [1, 28, 28] and 10 classes; other data is refused before any
     * training, in one line, until they are built for the data's shape (issue 17).
     */
    static void checkFits(Architecture a, DataSplits splits) {
        Images images = splits.test();
        boolean shape = a.encoding() == InputEncoding.ROW_TOKENS ? images.shape().equals(InputEncoding.ROW_TOKEN_IMAGE)
                : images.shape().dims().equals(a.inputShape().dims());
        if (!shape || images.classes() != FashionMnist.CLASSES) {
            throw new SqueezeException(String.format("%s reads %s images of %d classes; the data gives %s and %s (%s): "
                            + "train on data of that shape, or bring a model built for yours", a.builtInName(),
                    FashionMnist.SHAPE, FashionMnist.CLASSES, images.shape(),
                    images.labelled() ? images.classes() + " classes" : "no labels", splits.description().location()));
        }
    }
}
