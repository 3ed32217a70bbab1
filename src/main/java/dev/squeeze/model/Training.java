package dev.squeeze.model;

import dev.squeeze.Progress;
import dev.squeeze.Version;
import dev.squeeze.data.DataSplits;

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
}
