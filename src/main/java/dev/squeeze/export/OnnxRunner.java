package dev.squeeze.export;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.Accuracy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX Runtime session over a model {@link OnnxWriter} wrote: same inputs and outputs as the DL4J network.
 * Safe to call from several threads at once (ONNX Runtime sessions are); close it to free the native session.
 *
 * <p>Sessions run with all graph optimisations and {@link #CONFIG}: ONNX Runtime 1.29 fuses an integer weight's
 * DequantizeLinear into the MatMul/Gemm that reads it (MatMulNBits), and by default that kernel also quantises
 * the float input to int8, a quantiser the plan did not ask for (measured: up to 0.6% of predictions change on
 * fashion-attention); accuracy level 1 keeps that input float, and the packed integer weight.
 */
public final class OnnxRunner implements AutoCloseable {
    private final OrtSession.SessionOptions options;
    private final OrtSession session;

    private OnnxRunner(OrtSession.SessionOptions options, OrtSession session) {
        this.options = options;
        this.session = session;
    }

    /** A session over model bytes; {@code intraOpThreads} threads per run, one inter-op thread (the graph is a chain). */
    public static OnnxRunner of(byte[] model, int intraOpThreads) {
        return open(model, null, intraOpThreads, true, CONFIG);
    }

    public static OnnxRunner of(Path model, int intraOpThreads) {
        return open(null, model, intraOpThreads, true, CONFIG);
    }

    /**
     * ONNX Runtime session config key: the compute type of the MatMulNBits that DequantizeLinear + MatMul fuse into
     * (1 float32, 2 float16, 3 bfloat16, 4 int8-quantised inputs; ORT's default when unset is 4).
     */
    static final String MATMUL_NBITS_ACCURACY = "session.qdq_matmulnbits_accuracy_level";
    /** The session config entries every runner sets. */
    static final Map<String, String> CONFIG = Map.of(MATMUL_NBITS_ACCURACY, "1");

    /**
     * For tests that measure what ONNX Runtime's optimisations do: {@code optimise} false runs the graph as written
     * (no fusion, no constant folding); {@code sessionConfig} replaces {@link #CONFIG} ({@code Map.of()}: ORT's defaults).
     */
    static OnnxRunner of(byte[] model, int intraOpThreads, boolean optimise, Map<String, String> sessionConfig) {
        return open(model, null, intraOpThreads, optimise, sessionConfig);
    }

    private static OnnxRunner open(byte[] bytes, Path path, int intraOpThreads, boolean optimise, Map<String, String> sessionConfig) {
        if (intraOpThreads < 1) throw new IllegalArgumentException("intra-op threads must be >= 1, not " + intraOpThreads);
        var env = Ort.environment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            if (!optimise) options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            for (var e : sessionConfig.entrySet()) options.addConfigEntry(e.getKey(), e.getValue());
            OrtSession session = bytes != null ? env.createSession(bytes, options) : env.createSession(path.toString(), options);
            return new OnnxRunner(options, session);
        } catch (OrtException e) {
            options.close();
            throw new SqueezeException("ONNX Runtime cannot load the model" + (path != null ? " " + path : "") + ": " + e.getMessage(), e);
        }
    }

    /** The model's {@value OnnxWriter#OUTPUT} for a batch, as DL4J's {@code output(features, false)} returns it. */
    public INDArray output(INDArray features) {
        return outputs(features, Set.of(OnnxWriter.OUTPUT)).get(OnnxWriter.OUTPUT);
    }

    /** Named graph outputs for a batch, in {@code names}' iteration order. */
    public Map<String, INDArray> outputs(INDArray features, Set<String> names) {
        var env = Ort.environment();
        long[] shape = features.shape();
        float[] in = OnnxWriter.floats(features);
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(in), shape);
             OrtSession.Result result = session.run(Map.of(OnnxWriter.INPUT, x), names)) {
            var out = new LinkedHashMap<String, INDArray>();
            for (String name : names) {
                OnnxValue v = result.get(name).orElseThrow(() -> new SqueezeException("ONNX model has no output '" + name + "'"));
                OnnxTensor t = (OnnxTensor) v;
                FloatBuffer fb = t.getFloatBuffer();
                float[] values = new float[fb.remaining()];
                fb.get(values);
                out.put(name, Nd4j.create(values, t.getInfo().getShape(), 'c'));
            }
            return out;
        } catch (OrtException e) {
            throw new SqueezeException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
        }
    }

    /** Predicted classes (arg max of the probabilities) for a batch. */
    public int[] predict(INDArray features) {
        return output(features).argMax(1).toIntVector();
    }

    /** Top-1 accuracy on images, in batches of {@value Accuracy#BATCH} like DL4J's {@link Accuracy}. */
    public double accuracy(Images images, InputEncoding encoding) {
        return Accuracy.of(images, encoding, this::predict);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new SqueezeException("ONNX Runtime failed to close a session: " + e.getMessage(), e);
        } finally {
            options.close();
        }
    }
}
