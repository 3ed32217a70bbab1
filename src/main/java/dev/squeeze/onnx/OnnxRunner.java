package dev.squeeze.onnx;

import onnx.Onnx;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
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
    /**
     * Images per run when a fresh session makes one pass (the search's measured rung): ONNX Runtime's first run at
     * a batch size grows its memory arena, which at large batches costs as much as the inference. Measured on a
     * w8a8 fashion-cnn, one thread, 2,000 images, first pass / warm pass: 50-image batches 204-211 / 202-222 ms,
     * 100: 294-334 / 206-212 ms, 200: 459-473 / 226-241 ms, 500: 560-620 / 220-240 ms.
     */
    public static final int FRESH_SESSION_BATCH = 50;

    private final OrtSession.SessionOptions options;
    private final OrtSession session;

    private OnnxRunner(OrtSession.SessionOptions options, OrtSession session) {
        this.options = options;
        this.session = session;
    }

    /** A session over model bytes; {@code intraOpThreads} threads per run, one inter-op thread (the graph is a chain). */
    public static OnnxRunner of(byte[] model, int intraOpThreads) {
        return open(model, null, intraOpThreads, OptLevel.ALL_OPT, CONFIG);
    }

    public static OnnxRunner of(Path model, int intraOpThreads) {
        return open(null, model, intraOpThreads, OptLevel.ALL_OPT, CONFIG);
    }

    /** A session with the given graph optimisation level (see {@link #of(byte[], int)} for the rest). */
    public static OnnxRunner of(byte[] model, int intraOpThreads, OptLevel level) {
        return open(model, null, intraOpThreads, level, CONFIG);
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
        return open(model, null, intraOpThreads, optimise ? OptLevel.ALL_OPT : OptLevel.NO_OPT, sessionConfig);
    }

    private static OnnxRunner open(byte[] bytes, Path path, int intraOpThreads, OptLevel level, Map<String, String> sessionConfig) {
        if (intraOpThreads < 1) throw new IllegalArgumentException("intra-op threads must be >= 1, not " + intraOpThreads);
        var env = Ort.environment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(level);
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
        return run(features, names, (values, shape) -> Nd4j.create(values, shape, 'c'));
    }

    /** Named graph outputs for a batch as flat float arrays (a scalar output is one value). */
    public Map<String, float[]> floats(INDArray features, Set<String> names) {
        return run(features, names, (values, shape) -> values);
    }

    private <T> Map<String, T> run(INDArray features, Set<String> names, java.util.function.BiFunction<float[], long[], T> convert) {
        var env = Ort.environment();
        long[] shape = features.shape();
        float[] in = OnnxWriter.floats(features);
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(in), shape);
             OrtSession.Result result = session.run(Map.of(OnnxWriter.INPUT, x), names)) {
            var out = new LinkedHashMap<String, T>();
            for (String name : names) {
                OnnxValue v = result.get(name).orElseThrow(() -> new SqueezeException("ONNX model has no output '" + name + "'"));
                OnnxTensor t = (OnnxTensor) v;
                FloatBuffer fb = t.getFloatBuffer();
                float[] values = new float[fb.remaining()];
                fb.get(values);
                out.put(name, convert.apply(values, t.getInfo().getShape()));
            }
            return out;
        } catch (OrtException e) {
            throw new SqueezeException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
        }
    }

    /**
     * Seconds of each of {@code runs} inference runs on one batch: the input tensor is made once, and only
     * {@code session.run} is timed (no conversion to or from Java arrays), so the figure is ONNX Runtime's own latency.
     */
    public double[] time(INDArray features, int runs) {
        var env = Ort.environment();
        double[] seconds = new double[runs];
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(OnnxWriter.floats(features)), features.shape())) {
            Map<String, OnnxTensor> inputs = Map.of(OnnxWriter.INPUT, x);
            for (int i = 0; i < runs; i++) {
                long t = System.nanoTime();
                session.run(inputs).close();
                seconds[i] = (System.nanoTime() - t) / 1e9;
            }
            return seconds;
        } catch (OrtException e) {
            throw new SqueezeException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
        }
    }

    /** Predicted classes (arg max of the probabilities) for a batch. */
    public int[] predict(INDArray features) {
        return Accuracy.classes(output(features));
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

    /**
     * The op types of the graph ONNX Runtime runs for {@code onnx} (all optimisations, the runner's session config), as
     * it saves it after optimising, in order; a DequantizeLinear of an initializer (a weight dequantised on every run)
     * is listed as {@code DequantizeLinear(weight)}.
     */
    public static java.util.List<String> optimisedOps(byte[] onnx) {
        java.nio.file.Path file = null;
        try {
            file = java.nio.file.Files.createTempFile("squeeze-optimised", ".onnx");
            try (var options = new ai.onnxruntime.OrtSession.SessionOptions()) {
                options.setOptimizedModelFilePath(file.toString());
                options.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR); // not its warning that the file is for this machine only
                for (var e : CONFIG.entrySet()) options.addConfigEntry(e.getKey(), e.getValue());
                Ort.environment().createSession(onnx, options).close();
            }
            var graph = Onnx.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(file)).getGraph();
            var initializers = graph.getInitializerList().stream().map(Onnx.TensorProto::getName).collect(java.util.stream.Collectors.toSet());
            return graph.getNodeList().stream().map(nd -> nd.getOpType().equals("DequantizeLinear") && initializers.contains(nd.getInput(0))
                    ? "DequantizeLinear(weight)" : nd.getOpType()).toList();
        } catch (java.io.IOException | ai.onnxruntime.OrtException e) {
            throw new dev.squeeze.SqueezeException("cannot read the graph ONNX Runtime optimised: " + e.getMessage(), e);
        } finally {
            if (file != null) file.toFile().delete();
        }
    }
}
