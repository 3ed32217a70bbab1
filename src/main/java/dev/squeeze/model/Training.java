package dev.squeeze.model;

import dev.squeeze.Progress;
import dev.squeeze.Version;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.FashionMnist;
import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;

import java.nio.file.Path;
import java.time.Instant;

/** The {@code train} service: trains a baseline, measures it, writes the model zip and its card. */
public final class Training {
    private Training() {}

    /**
     * @param command the command line that reproduces this run, recorded in the card
     */
    public record Request(Architecture architecture, int epochs, int batchSize, long seed, Path out, Path dataDir,
                          String command) {}

    public static ModelCard run(Request r, Progress progress) {
        DataSplits splits = DataSplits.load(r.dataDir(), r.seed(), DataSplits.DEFAULT_CALIBRATION);
        checkFits(r.architecture(), splits);
        progress.log(String.format("training %s on %d images (%s), testing on %d; seed %d",
                r.architecture().label(), splits.train().count(), splits.description().source(),
                splits.test().count(), r.seed()));
        Trainer.Result result = Trainer.train(r.architecture(), splits, r.epochs(), r.batchSize(), r.seed(), progress);
        LayerGraph graph = Dl4jGraphs.of(r.architecture().builtInName(), result.network(), r.architecture().inputShape());
        ModelCard card = new ModelCard(r.architecture().builtInName(), r.architecture().label(),
                r.architecture().encoding().name(), r.architecture().inputShape().dims(), graph.params(), graph.macs(),
                result.testAccuracy(), splits.test().count(), splits.description(), r.seed(), r.epochs(), r.batchSize(),
                Math.round(result.seconds() * 10) / 10.0, r.command(), Version.squeeze(), Instant.now().toString(),
                result.epochTestAccuracy());
        ModelStore.save(result.network(), card, r.out());
        return card;
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
