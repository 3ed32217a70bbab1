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

    public static Result train(Architecture arch, DataSplits splits, int epochs, int batchSize, long seed, Progress progress) {
        if (epochs <= 0) throw new IllegalArgumentException("--epochs must be at least 1");
        if (batchSize <= 0) throw new IllegalArgumentException("--batch must be at least 1");
        Images train = splits.train();
        int batches = (train.count() + batchSize - 1) / batchSize;
        Model net = arch.build(Signature.of(splits.test()), seed, batches, epochs);
        // Both DL4J network kinds fit a DataSet through this interface; the loop below serves them alike.
        NeuralNetwork fitter = (NeuralNetwork) net;
        InputEncoding enc = arch.encoding();
        Random shuffle = new Random(seed);
        Random augment = new Random(seed + 1);
        var perEpoch = new ArrayList<Double>();
        long start = System.nanoTime();
        for (int epoch = 1; epoch <= epochs; epoch++) {
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
        }
        return new Result(net, perEpoch.get(perEpoch.size() - 1), perEpoch, (System.nanoTime() - start) / 1e9);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
    }
}
