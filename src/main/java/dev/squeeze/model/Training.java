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
     * @param out     the model zip to write; null: {@code models/<name>.zip}, the name {@link Architecture#modelName} gives
     * @param command the command line that reproduces this run, recorded in the card
     */
    public record Request(Architecture architecture, int epochs, int batchSize, long seed, Path out, Path dataDir,
                          String command) {}

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
        Trainer.Result result = Trainer.train(r.architecture(), splits, r.epochs(), r.batchSize(), r.seed(), progress);
        TensorShape input = a.inputShape(data);
        LayerGraph graph = Dl4jGraphs.of(name, result.network(), input);
        ModelCard card = new ModelCard(name, a.label(), a.encoding().name(), input.dims(), graph.params(), graph.macs(),
                result.testAccuracy(), splits.test().count(), splits.description(), r.seed(), r.epochs(), r.batchSize(),
                Math.round(result.seconds() * 10) / 10.0, r.command(), Version.squeeze(), Instant.now().toString(),
                result.epochTestAccuracy());
        ModelStore.save(result.network(), card, out);
        return new Trained(card, out);
    }
}
