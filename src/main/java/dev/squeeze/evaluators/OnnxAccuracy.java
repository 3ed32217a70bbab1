package dev.squeeze.evaluators;

import dev.squeeze.data.Images;
import dev.squeeze.export.OnnxRunner;
import dev.squeeze.export.OnnxWriter;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.Dl4jGraphs;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.compress.CompressedModel;
import dev.squeeze.model.compress.Compressor;
import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * The {@code measured} rung run in ONNX Runtime: the plan is applied by {@link Compressor} as for DL4J, the
 * compressed network is written as ONNX (fake-quantised weights, activation QDQ exactly where the DL4J
 * simulation quantises) and its accuracy comes from one single-threaded ONNX Runtime session; candidates run
 * in parallel, one per worker. Not thread-safe: one instance per worker.
 */
final class OnnxAccuracy implements AccuracyProxy {
    private final Compressor compressor;
    private final Accuracy.Encoded images;
    private final InputType inputType;

    OnnxAccuracy(ModelHandle model, Images images, Compressor.Options options) {
        this.images = Accuracy.Encoded.of(images, model.encoding());
        this.compressor = new Compressor(model, options, images);
        this.inputType = Dl4jGraphs.toInputType(model.graph().inputs().values().iterator().next());
    }

    @Override
    public String fidelity() {
        return "measured";
    }

    @Override
    public double accuracy(CompressionPlan plan) {
        return accuracy(compressor.apply(plan));
    }

    double accuracy(CompressedModel c) {
        byte[] onnx = OnnxWriter.write(c, inputType);
        try (OnnxRunner runner = OnnxRunner.of(onnx, 1)) {
            return images.accuracy(runner::predict);
        }
    }
}
