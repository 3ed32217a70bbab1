package dev.squeeze.model;

import dev.squeeze.Progress;
import dev.squeeze.data.DataSplits;
import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.NeuralNetwork;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Trains a baseline architecture on the train split, reporting progress and test accuracy per epoch. */
public final class Trainer {
    private Trainer() {}

    /** What training produced: a {@code MultiLayerNetwork} or a {@code ComputationGraph}, as the architecture builds. */
    public record Result(Model network, double testAccuracy, List<Double> epochTestAccuracy, double seconds) {}

    /**
     * Where a run starts: a fresh network ({@link #FRESH}), or a checkpointed one after {@code epochsDone} epochs, with
     * the test accuracies and seconds of those epochs.
     */
    public record Start(Model network, int epochsDone, List<Double> epochTestAccuracy, double seconds) {
        public static final Start FRESH = new Start(null, 0, List.of(), 0);
    }

    /** Called after every finished epoch with the network and the run so far (to checkpoint it). */
    public interface EpochEnd {
        EpochEnd NONE = (network, epochsDone, epochTestAccuracy, seconds) -> {};

        void finished(Model network, int epochsDone, List<Double> epochTestAccuracy, double seconds);
    }

    public static Result train(Architecture arch, DataSplits splits, int epochs, int batchSize, long seed, Progress progress) {
        return train(arch, splits, epochs, batchSize, seed, Start.FRESH, EpochEnd.NONE, progress);
    }

    /**
     * Trains from {@code start}: a resumed run draws the same shuffles and augmentations for its remaining epochs as an
     * uninterrupted one (the skipped epochs' draws are replayed), and its network carries its updater state and step
     * count, so it ends with the weights the uninterrupted run would have.
     */
    public static Result train(Architecture arch, DataSplits splits, int epochs, int batchSize, long seed, Start start,
                               EpochEnd onEpoch, Progress progress) {
        if (epochs <= 0) throw new IllegalArgumentException("--epochs must be at least 1");
        if (batchSize <= 0) throw new IllegalArgumentException("--batch must be at least 1");
        Images train = splits.train();
        int batches = (train.count() + batchSize - 1) / batchSize;
        Model net = start.network() != null ? start.network() : arch.build(Signature.of(splits.test()), seed, batches, epochs);
        // Both DL4J network kinds fit a DataSet through this interface; the loop below serves them alike.
        NeuralNetwork fitter = (NeuralNetwork) net;
        InputEncoding enc = arch.encoding();
        Random shuffle = new Random(seed);
        Random augment = new Random(seed + 1);
        var perEpoch = new ArrayList<Double>(start.epochTestAccuracy());
        for (int epoch = 1; epoch <= start.epochsDone(); epoch++) {
            arch.augmentation().apply(train.subset(DataSplits.permutation(train.count(), shuffle)), augment); // replay the draws
        }
        long started = System.nanoTime() - Math.round(start.seconds() * 1e9);
        for (int epoch = start.epochsDone() + 1; epoch <= epochs; epoch++) {
            // ND4J's global generator draws dropout masks: seeded per epoch, so a resumed epoch draws what it would have
            org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(seed * 1_000_003L + epoch);
            Images shuffled = arch.augmentation().apply(train.subset(DataSplits.permutation(train.count(), shuffle)), augment);
            long epochStart = System.nanoTime();
            double lossSum = 0;
            for (int b = 0; b < batches; b++) {
                int from = b * batchSize, to = Math.min(train.count(), from + batchSize);
                DataSet batch = enc.batch(shuffled, from, to);
                fitter.fit(batch);
                lossSum += net.score();
                Backend.release(batch.getFeatures(), batch.getLabels());
                double secs = (System.nanoTime() - epochStart) / 1e9;
                double rate = to / Math.max(secs, 1e-9);
                double eta = (train.count() - to + (long) (epochs - epoch) * train.count()) / rate;
                progress.update(String.format("epoch %d/%d  batch %d/%d  loss %.4f  %.0f img/s  ETA %s",
                        epoch, epochs, b + 1, batches, lossSum / (b + 1), rate, duration(eta)));
            }
            double acc = Accuracy.of(net, splits.test(), enc);
            perEpoch.add(acc);
            progress.log(String.format("epoch %d/%d  loss %.4f  test accuracy %.4f  (%.0f s)", epoch, epochs,
                    lossSum / batches, acc, (System.nanoTime() - epochStart) / 1e9));
            onEpoch.finished(net, epoch, List.copyOf(perEpoch), (System.nanoTime() - started) / 1e9);
        }
        return new Result(net, perEpoch.get(perEpoch.size() - 1), perEpoch, (System.nanoTime() - started) / 1e9);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
    }
}
