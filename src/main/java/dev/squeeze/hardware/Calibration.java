package dev.squeeze.hardware;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.Version;
import dev.squeeze.onnx.Ort;
import onnx.Onnx;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.ByteString;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * {@code profiles calibrate}: measures this machine with microbenchmarks and writes a {@code local-cpu} profile
 * whose every figure says how it was measured. Needs ND4J started ({@code Backend.init()}).
 *
 * <p>Peak rates are the best sustained rates measured through ONNX Runtime (the runtime exported models run in) on
 * a 3x3 convolution at batch 1, fp32 and as an exported int8 layer runs it (with its quantise and dequantise), so
 * the profile's efficiency is 1: the measured rate already is what the runtime reaches on a model's layers. On a
 * CPU without fast int8 dot products that int8 rate can be below fp32, and the profile then says so.
 */
public final class Calibration {
    private Calibration() {}

    /** @param quick shorter runs, for tests and impatient users */
    public record Request(Path out, boolean quick) {}

    /** One measured figure and how it was obtained. */
    public record Measurement(String name, double value, String how) {}

    public record Result(Path out, List<Measurement> measurements, HardwareProfile profile) {}

    public static Result run(Request request, Progress progress) {
        int threads = Runtime.getRuntime().availableProcessors();
        double seconds = request.quick() ? 0.15 : 0.6;
        var m = new ArrayList<Measurement>();
        int[] sizes = request.quick() ? new int[]{128, 256, 512} : new int[]{256, 512, 1024, 2048};

        double ndBest1 = 0, ndBestAll = 0;
        for (int t : new int[]{1, threads}) {
            for (int n : sizes) {
                progress.log("ND4J fp32 GEMM " + n + "x" + n + ", " + t + " thread(s)");
                double ops = nd4jGemm(n, t, seconds);
                m.add(new Measurement("nd4j_fp32_gemm_" + n + "_t" + t, ops,
                        "ops/s, ND4J mmul of two " + n + "x" + n + " fp32 matrices, " + t + " thread(s), best of repeated runs over " + seconds + " s"));
                if (t == 1) ndBest1 = Math.max(ndBest1, ops); else ndBestAll = Math.max(ndBestAll, ops);
            }
        }
        int n = request.quick() ? 256 : 1024;
        OrtFigures ort = Ort.onLargeStack(() -> ortFigures(n, threads, seconds, m, progress));
        progress.log("memory bandwidth");
        double bandwidth = copyBandwidth(threads, (request.quick() ? 32 : 256) << 20, seconds);
        m.add(new Measurement("copy_bandwidth", bandwidth, "bytes/s, (read + write) of a " + (request.quick() ? 32 : 256)
                + " MiB array copy split over " + threads + " Java threads, best of repeated runs"));
        long cache = largestCache();
        progress.log("cache bandwidth");
        int cached = (int) Math.min(cache / 4, 1 << 20);
        double cacheBandwidth = copyBandwidth(1, cached, seconds);
        m.add(new Measurement("cache_copy_bandwidth", cacheBandwidth, "bytes/s, (read + write) of a " + cached / 1024
                + " KiB array copy (source and copy fit in the largest cache), 1 Java thread, best of repeated runs"));
        long memory = memTotal();
        int lanes = simdFloatLanes();
        String yaml = yaml(m, ort, bandwidth, cache, cacheBandwidth, memory, threads, lanes);
        try {
            Path parent = request.out().toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(request.out(), yaml);
        } catch (IOException e) {
            throw new SqueezeException("cannot write " + request.out() + ": " + e.getMessage());
        }
        progress.log("wrote " + request.out());
        return new Result(request.out(), List.copyOf(m), Profiles.load(request.out().toString()));
    }

    /**
     * What ONNX Runtime measured: one-thread conv rates (ops/s), seconds per near-empty op, and per format
     * the seconds one more kernel costs and each output row costs beyond the arithmetic.
     */
    private record OrtFigures(double fp32One, double int8One, double opOverhead,
                              double fp32Kernel, double int8Kernel, double fp32Row, double int8Row) {
        /**
         * The rates a model's layers see: conv-shaped work at batch 1, int8 with its quantise and dequantise, on one
         * thread. The profile describes one ONNX Runtime thread, as the kernel and row costs are measured and as the
         * search and {@code profiles validate} run models. A two-thread peak here made fp32 plans (which gain 1.5x
         * from a second thread, where int8 gains 1.1x) predict 20-50% fast against one-thread runs, and rho fell to 0.82-0.84.
         */
        double fp32Peak() {
            return fp32One;
        }

        double int8Peak() {
            return int8One;
        }
    }

    private static OrtFigures ortFigures(int n, int threads, double seconds, List<Measurement> m, Progress progress) {
        double ortFp32One = 0, ortInt8One = 0, overhead, fp32Kernel, int8Kernel, fp32Row, int8Row;
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();   // a process-wide singleton: not closed here
            for (int t : new int[]{1, threads}) {
                progress.log("ONNX Runtime fp32 MatMul " + n + ", " + t + " thread(s)");
                double f = ortMatMul(env, n, false, t, seconds);
                progress.log("ONNX Runtime int8 MatMulInteger " + n + ", " + t + " thread(s)");
                double q = ortMatMul(env, n, true, t, seconds);
                m.add(new Measurement("ort_fp32_matmul_" + n + "_t" + t, f, "ops/s, ONNX Runtime " + OrtEnvironment.getEnvironment().getVersion()
                        + " MatMul (opset 13) of a " + n + "x" + n + " fp32 input by a constant " + n + "x" + n + " weight, " + t + " intra-op thread(s)"));
                m.add(new Measurement("ort_int8_matmul_" + n + "_t" + t, q, "ops/s, ONNX Runtime MatMulInteger (opset 13), uint8 "
                        + n + "x" + n + " input by constant int8 weight, int32 output, " + t + " intra-op thread(s)"));
                progress.log("ONNX Runtime fp32 and QDQ int8 3x3 convolution at batch 1, " + t + " thread(s)");
                double cf = ortConv(env, false, t, seconds), cq = ortConv(env, true, t, seconds);
                m.add(new Measurement("ort_fp32_conv_t" + t, cf, "ops/s, ONNX Runtime Conv 3x3 (pad 1) of a [1, " + CONV_IN + ", "
                        + CONV_SIZE + ", " + CONV_SIZE + "] fp32 input to " + CONV_OUT + " channels, all graph optimisations, " + t + " intra-op thread(s)"));
                m.add(new Measurement("ort_int8_conv_t" + t, cq, "ops/s, the same convolution as an exported int8 layer runs it: "
                        + "QuantizeLinear -> DequantizeLinear -> Conv with an int8 DequantizeLinear weight -> QuantizeLinear -> DequantizeLinear, "
                        + "which ONNX Runtime fuses into QuantizeLinear -> QLinearConv -> DequantizeLinear; " + t + " intra-op thread(s)"));
                if (t == 1) { ortFp32One = cf; ortInt8One = cq; } // the other thread count's rates are kept for reference only
            }
            progress.log("ONNX Runtime per-op overhead");
            overhead = ortOpOverhead(env, seconds);
            m.add(new Measurement("ort_op_overhead", overhead, "s per op: (run time of a chain of 201 Add ops on one float"
                    + " - run time of a chain of 1) / 200, ONNX Runtime, 1 thread, median of repeated runs"));
            progress.log("ONNX Runtime per-kernel cost of fp32 and int8 convolutions");
            fp32Kernel = ortKernelOverhead(env, false, ortFp32One, seconds);
            int8Kernel = ortKernelOverhead(env, true, ortInt8One, seconds);
            fp32Row = ortRowOverhead(env, false, ortFp32One, seconds);
            int8Row = ortRowOverhead(env, true, ortInt8One, seconds);
            for (boolean int8 : new boolean[]{false, true}) {
                m.add(new Measurement("ort_" + (int8 ? "int8" : "fp32") + "_conv_row", int8 ? int8Row : fp32Row, "s per output row: (run time of a 3x3 "
                        + "convolution of 1 channel to " + TINY_CHANNELS + " at " + STEM_SIZE + "x" + STEM_SIZE + " - one of " + TINY_CHANNELS
                        + " channels at " + TINY_SIZE + "x" + TINY_SIZE + (int8 ? ", both as exported int8 layers" : ", both fp32")
                        + ", less the difference in arithmetic at the 1-thread conv rate) / the difference in output rows; 1 thread, median of repeated runs"));
                m.add(new Measurement("ort_" + (int8 ? "int8" : "fp32") + "_conv_kernel", int8 ? int8Kernel : fp32Kernel, "s per kernel: (run time of "
                        + CHAIN + " chained 3x3 convolutions of " + TINY_CHANNELS + " channels at " + TINY_SIZE + "x" + TINY_SIZE
                        + (int8 ? " as exported int8 layers (QDQ between them, fused to QLinearConv)" : " in fp32")
                        + " - run time of 1) / " + (CHAIN - 1) + ", less their arithmetic at the 1-thread conv rate; all graph optimisations, 1 thread, median of repeated runs"));
            }
        } catch (OrtException e) {
            throw new SqueezeException("calibration: ONNX Runtime failed (" + e.getMessage() + ")");
        }
        return new OrtFigures(ortFp32One, ortInt8One, overhead, fp32Kernel, int8Kernel, fp32Row, int8Row);
    }

    private static String yaml(List<Measurement> m, OrtFigures ort, double bandwidth, long cache, double cacheBandwidth,
                               long memory, int threads, int lanes) {
        var sb = new StringBuilder();
        sb.append("# Measured on this machine by `squeeze profiles calibrate` (squeeze ").append(Version.squeeze()).append(", ")
                .append(Instant.now()).append(", ").append(System.getProperty("os.arch")).append(", ").append(threads).append(" hardware threads).\n");
        sb.append("# Other work running on the machine during calibration lowers these figures; re-run on a quiet machine.\n");
        sb.append("schema: ").append(Profiles.SCHEMA).append('\n');
        sb.append("name: local-cpu\n");
        sb.append("description: one ONNX Runtime thread on this machine's CPU (").append(threads).append(" hardware threads), calibrated\n");
        sb.append("formats:\n");
        sb.append("  # peak_ops: best sustained one-thread ONNX Runtime rate on a 3x3 convolution at batch 1 (measured.ort_*_conv_t1), the work a\n");
        sb.append("  # model's layers are made of; so efficiency below is 1. Large-GEMM rates are in measured.ort_*_matmul_* for reference.\n");
        sb.append("  # energy_per_mac_pj: not measurable here (no power sensor such as RAPL readable); figures are the per-MAC\n");
        sb.append("  # estimates of xeon-sapphire-rapids (fp32), and int8 at a quarter of it (four int8 lanes per fp32 lane); they only rank plans.\n");
        sb.append("  # align: fp32 SIMD lanes from /proc/cpuinfo flags (avx512f 16, avx2 8, else 4).\n");
        sb.append("  # kernel_overhead: what one more convolution kernel in this format costs beyond its arithmetic (measured.ort_*_conv_kernel).\n");
        sb.append("  # row_overhead: seconds per output row of a convolution beyond its arithmetic (measured.ort_*_conv_row).\n");
        sb.append(fmt("  fp32: {peak_ops: %.4e, energy_per_mac_pj: 72.5, align: %d, kernel_overhead: %.4e, row_overhead: %.4e}\n",
                ort.fp32Peak(), lanes, ort.fp32Kernel(), ort.fp32Row()));
        sb.append("  # int8: the same convolution as an exported int8 layer runs (QDQ around it, int8 weights; measured.ort_int8_conv_*).\n");
        sb.append(fmt("  int8: {peak_ops: %.4e, energy_per_mac_pj: 18.1, align: %d, kernel_overhead: %.4e, row_overhead: %.4e}\n",
                ort.int8Peak(), lanes, ort.int8Kernel(), ort.int8Row()));
        sb.append("efficiency: 1.0\n");
        sb.append("# measured.copy_bandwidth\n");
        sb.append(fmt("memory_bandwidth: %.4e\n", bandwidth));
        sb.append("# measured.ort_op_overhead: a dispatch with next to no work; ops outside the formats above (reshapes) pay it\n");
        sb.append(fmt("kernel_overhead: %.4e\n", ort.opOverhead()));
        sb.append("# largest CPU cache level in /sys/devices/system/cpu/cpu0/cache\n");
        sb.append("on_chip_memory: ").append(cache).append('\n');
        sb.append("# measured.cache_copy_bandwidth: how fast a layer reads weights that stay cached\n");
        sb.append(fmt("on_chip_bandwidth: %.4e\n", cacheBandwidth));
        sb.append("# MemTotal in /proc/meminfo\n");
        sb.append("memory_capacity: ").append(memory).append('\n');
        sb.append("# not measurable here (no power sensor); 0 leaves static energy out of this profile's predictions\n");
        sb.append("static_power: 0.0\n");
        sb.append("# estimate borrowed from xeon-sapphire-rapids (DDR at ~10 pJ/bit)\n");
        sb.append("energy_per_dram_byte_pj: 80.0\n");
        sb.append("# hardware threads; 6x16 is the AVX2 fp32 GEMM micro-tile of ONNX Runtime's MLAS kernels (estimate for others)\n");
        sb.append("compute_units: ").append(threads).append('\n');
        sb.append("tile: [6, 16]\n");
        sb.append("weight_bits: [2, 3, 4, 5, 6, 7, 8, 16, 32]\n");
        sb.append("# ONNX Runtime's CPU kernels compute int8 and fp32 (fp16 plans run in fp32)\n");
        sb.append("activation_bits: [8, 16, 32]\n");
        sb.append("activations_on_chip: false\n");
        sb.append("# every measurement, with how it was taken (kept for provenance; the cost model reads the fields above)\n");
        sb.append("measured:\n");
        for (Measurement x : m) {
            sb.append(fmt("  %s: {value: %.4e, how: \"%s\"}\n", x.name(), x.value(), x.how().replace("\"", "'")));
        }
        return sb.toString();
    }

    private static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }

    /**
     * Seconds of one run of {@code run} at the given percentile of single-run times, after 50 warm-up runs, over at
     * least {@code minRuns} runs and about {@code seconds}.
     */
    private static double runSeconds(Runnable run, double seconds, int minRuns, int percentile) {
        for (int i = 0; i < 50; i++) run.run();
        var times = new ArrayList<Double>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (times.size() < minRuns || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            run.run();
            times.add((System.nanoTime() - t0) / 1e9);
        }
        return times.stream().mapToDouble(Double::doubleValue).sorted().toArray()[times.size() * percentile / 100];
    }

    /** Best rate of a timed action repeated for about {@code seconds}; {@code action} returns operations done. */
    private static double bestRate(LongSupplier action, double seconds) {
        action.getAsLong(); // warm-up
        double best = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int runs = 0;
        while (runs < 3 || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            long ops = action.getAsLong();
            long dt = System.nanoTime() - t0;
            best = Math.max(best, ops / (dt / 1e9));
            runs++;
        }
        return best;
    }

    private static double nd4jGemm(int n, int threads, double seconds) {
        var blas = Nd4j.factory().blas();
        int before = blas.getMaxThreads();
        blas.setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        try {
            INDArray a = Nd4j.rand(DataType.FLOAT, n, n), b = Nd4j.rand(DataType.FLOAT, n, n), c = Nd4j.create(DataType.FLOAT, n, n);
            return bestRate(() -> {
                a.mmuli(b, c);
                return 2L * n * n * n;
            }, seconds);
        } finally {
            blas.setMaxThreads(before);
        }
    }

    private static double ortMatMul(OrtEnvironment env, int n, boolean int8, int threads, double seconds) throws OrtException {
        var random = new Random(1);
        byte[] weights = new byte[n * n * (int8 ? 1 : 4)];
        if (int8) {
            for (int i = 0; i < weights.length; i++) weights[i] = (byte) (random.nextInt(127) - 63);
        } else {
            ByteBuffer bb = ByteBuffer.wrap(weights).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n * n; i++) bb.putFloat(random.nextFloat() - 0.5f);
        }
        int inType = int8 ? Onnx.TensorProto.DataType.UINT8_VALUE : Onnx.TensorProto.DataType.FLOAT_VALUE;
        int wType = int8 ? Onnx.TensorProto.DataType.INT8_VALUE : Onnx.TensorProto.DataType.FLOAT_VALUE;
        int outType = int8 ? Onnx.TensorProto.DataType.INT32_VALUE : Onnx.TensorProto.DataType.FLOAT_VALUE;
        var graph = Onnx.GraphProto.newBuilder().setName("matmul")
                .addInitializer(Onnx.TensorProto.newBuilder().setName("w").setDataType(wType).addDims(n).addDims(n)
                        .setRawData(ByteString.copyFrom(weights)))
                .addNode(Onnx.NodeProto.newBuilder().setOpType(int8 ? "MatMulInteger" : "MatMul").addInput("x").addInput("w").addOutput("y"))
                .addInput(valueInfo("x", inType, n, n))
                .addOutput(valueInfo("y", outType, n, n));
        try (var options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(model(graph), options)) {
                OnnxTensor x;
                if (int8) {
                    byte[] in = new byte[n * n];
                    for (int i = 0; i < in.length; i++) in[i] = (byte) random.nextInt(256);
                    x = OnnxTensor.createTensor(env, ByteBuffer.wrap(in), new long[]{n, n}, OnnxJavaType.UINT8);
                } else {
                    float[] in = new float[n * n];
                    for (int i = 0; i < in.length; i++) in[i] = random.nextFloat();
                    x = OnnxTensor.createTensor(env, FloatBuffer.wrap(in), new long[]{n, n});
                }
                try (x) {
                    Map<String, OnnxTensor> inputs = Map.of("x", x);
                    return bestRate(() -> {
                        try (var result = session.run(inputs)) {
                            return 2L * n * n * n;
                        } catch (OrtException e) {
                            throw new IllegalStateException(e);
                        }
                    }, seconds);
                }
            }
        }
    }

    static final int CONV_IN = 32, CONV_OUT = 64, CONV_SIZE = 28;

    /**
     * A 3x3 convolution at batch 1 with the shapes of a small vision model's middle layer: as fp32, or as an exported
     * int8 layer (QDQ around it, int8 weights), which is how squeeze's ONNX files run it.
     */
    private static double ortConv(OrtEnvironment env, boolean int8, int threads, double seconds) throws OrtException {
        long ops = 2L * CONV_OUT * CONV_IN * 9 * CONV_SIZE * CONV_SIZE;
        try (var chain = ConvChain.open(env, int8, CONV_IN, CONV_OUT, CONV_SIZE, 1, threads)) {
            return bestRate(() -> {
                chain.run();
                return ops;
            }, seconds);
        }
    }

    static final int TINY_CHANNELS = 16, TINY_SIZE = 8, CHAIN = 9;

    /**
     * Seconds each convolution kernel costs beyond its arithmetic, in fp32 or as an exported int8 layer: a chain of
     * {@value #CHAIN} tiny 3x3 convolutions ({@value #TINY_CHANNELS} channels, {@value #TINY_SIZE}x{@value #TINY_SIZE})
     * minus a chain of one, over {@value #CHAIN} - 1, minus the arithmetic at {@code peakOps}. Between int8 convolutions
     * the QDQ pairs fuse away as in an exported model, so this is the cost of one more integer kernel in a model.
     */
    private static double ortKernelOverhead(OrtEnvironment env, boolean int8, double peakOps, double seconds) throws OrtException {
        double many, one;
        try (var chain = ConvChain.open(env, int8, TINY_CHANNELS, TINY_CHANNELS, TINY_SIZE, CHAIN, 1)) {
            many = chain.quietSeconds(seconds);
        }
        try (var chain = ConvChain.open(env, int8, TINY_CHANNELS, TINY_CHANNELS, TINY_SIZE, 1, 1)) {
            one = chain.quietSeconds(seconds);
        }
        double arithmetic = 2.0 * TINY_CHANNELS * TINY_CHANNELS * 9 * TINY_SIZE * TINY_SIZE / peakOps;
        return Math.max(1e-9, (many - one) / (CHAIN - 1) - arithmetic);
    }

    /**
     * Seconds per output row (position) of a convolution kernel beyond its arithmetic: a stem convolution (1 input
     * channel to {@value #TINY_CHANNELS}, {@value #STEM_SIZE}x{@value #STEM_SIZE}, where rows dominate) against one tiny
     * convolution ({@value #TINY_SIZE}x{@value #TINY_SIZE}), both with the same quantise / dequantise around them, the
     * difference less the arithmetic at {@code peakOps}, over the difference in rows.
     */
    private static double ortRowOverhead(OrtEnvironment env, boolean int8, double peakOps, double seconds) throws OrtException {
        double stem, tiny;
        try (var chain = ConvChain.open(env, int8, 1, TINY_CHANNELS, STEM_SIZE, 1, 1)) {
            stem = chain.quietSeconds(seconds);
        }
        try (var chain = ConvChain.open(env, int8, TINY_CHANNELS, TINY_CHANNELS, TINY_SIZE, 1, 1)) {
            tiny = chain.quietSeconds(seconds);
        }
        double arithmetic = 2.0 * TINY_CHANNELS * 9 * (STEM_SIZE * STEM_SIZE - TINY_CHANNELS * TINY_SIZE * TINY_SIZE) / peakOps;
        return Math.max(0, (stem - tiny - arithmetic) / (STEM_SIZE * STEM_SIZE - TINY_SIZE * TINY_SIZE));
    }

    static final int STEM_SIZE = 28;

    /**
     * An ONNX Runtime session over {@code count} chained 3x3 convolutions (pad 1) at batch 1, all graph optimisations:
     * fp32, or as squeeze exports int8 layers (a QuantizeLinear / DequantizeLinear pair after the input and after every
     * convolution, int8 weights through DequantizeLinear), which ONNX Runtime fuses into QLinearConv kernels.
     */
    private record ConvChain(OrtSession session, OnnxTensor input, Map<String, OnnxTensor> inputs) implements AutoCloseable {
        static ConvChain open(OrtEnvironment env, boolean int8, int in, int out, int hw, int count, int threads) throws OrtException {
            var random = new Random(2);
            int f = Onnx.TensorProto.DataType.FLOAT_VALUE;
            var graph = Onnx.GraphProto.newBuilder().setName("convs");
            if (int8) {
                graph.addInitializer(scalar("w_scale", 0.01f)).addInitializer(scalar("x_scale", 1 / 255f)).addInitializer(scalar("y_scale", 0.05f))
                        .addInitializer(uint8("zp", 0)).addInitializer(int8Zero("w_zp"));
                graph.addNode(node("QuantizeLinear", "xq", "x", "x_scale", "zp")).addNode(node("DequantizeLinear", "a0", "xq", "x_scale", "zp"));
            } else {
                graph.addNode(node("Identity", "a0", "x"));
            }
            int c = in;
            for (int i = 0; i < count; i++) {
                int k = i == count - 1 ? out : in;
                String w = "w" + i, a = "a" + i, y = i == count - 1 ? "y" : "a" + (i + 1);
                if (int8) {
                    byte[] codes = new byte[k * c * 9];
                    for (int j = 0; j < codes.length; j++) codes[j] = (byte) (random.nextInt(255) - 127);
                    graph.addInitializer(Onnx.TensorProto.newBuilder().setName(w + "q").setDataType(Onnx.TensorProto.DataType.INT8_VALUE)
                            .addDims(k).addDims(c).addDims(3).addDims(3).setRawData(ByteString.copyFrom(codes)));
                    graph.addNode(node("DequantizeLinear", w, w + "q", "w_scale", "w_zp"));
                } else {
                    ByteBuffer bb = ByteBuffer.allocate(k * c * 9 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    for (int j = 0; j < k * c * 9; j++) bb.putFloat((random.nextFloat() - 0.5f) / 10);
                    graph.addInitializer(Onnx.TensorProto.newBuilder().setName(w).setDataType(f).addDims(k).addDims(c).addDims(3).addDims(3)
                            .setRawData(ByteString.copyFrom(bb.array())));
                }
                var conv = node("Conv", int8 ? y + "c" : y, a, w).toBuilder()
                        .addAttribute(Onnx.AttributeProto.newBuilder().setName("pads").setType(Onnx.AttributeProto.AttributeType.INTS).addAllInts(List.of(1L, 1L, 1L, 1L)));
                graph.addNode(conv);
                if (int8) graph.addNode(node("QuantizeLinear", y + "q", y + "c", "y_scale", "zp")).addNode(node("DequantizeLinear", y, y + "q", "y_scale", "zp"));
                c = k;
            }
            graph.addInput(valueInfo("x", f, 1, in, hw, hw)).addOutput(valueInfo("y", f, 1, out, hw, hw));
            float[] x = new float[in * hw * hw];
            for (int i = 0; i < x.length; i++) x[i] = random.nextFloat();
            try (var options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(threads);
                options.setInterOpNumThreads(1);
                OrtSession session = env.createSession(model(graph), options);
                OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[]{1, in, hw, hw});
                return new ConvChain(session, input, Map.of("x", input));
            }
        }

        void run() {
            try (var result = session.run(inputs)) {
                // only the time counts
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * Seconds of a run on a quiet machine: the 10th percentile, after a warm-up, over at least 1,000 runs or
         * {@code seconds}. Differences of these times are fractions of a microsecond; medians moved by up to 2x
         * between calibrations on this shared 2-core VM, the low percentile by much less.
         */
        double quietSeconds(double seconds) {
            return runSeconds(this::run, seconds, 1000, 10);
        }

        @Override
        public void close() throws OrtException {
            input.close();
            session.close();
        }
    }

    private static Onnx.NodeProto node(String op, String output, String... inputs) {
        return Onnx.NodeProto.newBuilder().setOpType(op).addAllInput(List.of(inputs)).addOutput(output).build();
    }

    private static Onnx.TensorProto scalar(String name, float v) {
        return Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(v).array())).build();
    }

    private static Onnx.TensorProto uint8(String name, int v) {
        return Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.UINT8_VALUE)
                .setRawData(ByteString.copyFrom(new byte[]{(byte) v})).build();
    }

    private static Onnx.TensorProto int8Zero(String name) {
        return Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.INT8_VALUE)
                .setRawData(ByteString.copyFrom(new byte[]{0})).build();
    }

    /** Seconds per op: a chain of 201 tiny Adds minus a chain of 1, over 200 (call overhead cancels out). */
    private static double ortOpOverhead(OrtEnvironment env, double seconds) throws OrtException {
        double many = ortChainSeconds(env, 201, seconds), one = ortChainSeconds(env, 1, seconds);
        return Math.max(1e-9, (many - one) / 200);
    }

    private static double ortChainSeconds(OrtEnvironment env, int ops, double seconds) throws OrtException {
        var graph = Onnx.GraphProto.newBuilder().setName("chain")
                .addInitializer(Onnx.TensorProto.newBuilder().setName("one").setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                        .addDims(1).setRawData(ByteString.copyFrom(new byte[]{0, 0, (byte) 0x80, 0x3f})));
        String previous = "x";
        for (int i = 0; i < ops; i++) {
            String out = i == ops - 1 ? "y" : "t" + i;
            graph.addNode(Onnx.NodeProto.newBuilder().setOpType("Add").addInput(previous).addInput("one").addOutput(out));
            previous = out;
        }
        graph.addInput(valueInfo("x", Onnx.TensorProto.DataType.FLOAT_VALUE, 1)).addOutput(valueInfo("y", Onnx.TensorProto.DataType.FLOAT_VALUE, 1));
        try (var options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            // no graph optimisation: constant folding or fusion would remove the chain being timed
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(model(graph), options);
                 OnnxTensor x = OnnxTensor.createTensor(env, new float[]{1f})) {
                Map<String, OnnxTensor> inputs = Map.of("x", x);
                return runSeconds(() -> {
                    try {
                        session.run(inputs).close();
                    } catch (OrtException e) {
                        throw new IllegalStateException(e);
                    }
                }, seconds, 200, 50);
            }
        }
    }

    private static Onnx.ValueInfoProto valueInfo(String name, int type, long... dims) {
        var shape = Onnx.TensorShapeProto.newBuilder();
        for (long d : dims) shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return Onnx.ValueInfoProto.newBuilder().setName(name)
                .setType(Onnx.TypeProto.newBuilder().setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape)))
                .build();
    }

    private static byte[] model(Onnx.GraphProto.Builder graph) {
        return Onnx.ModelProto.newBuilder().setIrVersion(7).setProducerName("squeeze-calibrate")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(graph).build().toByteArray();
    }

    /** Copy bandwidth (bytes read + written per second) of an array of {@code bytes} split over threads. */
    private static double copyBandwidth(int threads, int bytes, double seconds) {
        int longs = bytes / 8;
        long[] src = new long[longs], dst = new long[longs];
        Arrays.fill(src, 7);
        if (threads == 1) {
            // in the calling thread, many copies per timing: a cache-sized copy takes microseconds, less than starting a thread
            int repeats = Math.max(1, (64 << 20) / bytes);
            return bestRate(() -> {
                for (int r = 0; r < repeats; r++) System.arraycopy(src, 0, dst, 0, longs);
                return 2L * longs * 8 * repeats;
            }, seconds);
        }
        int chunk = longs / threads;
        return bestRate(() -> {
            var workers = new ArrayList<Thread>();
            for (int t = 0; t < threads; t++) {
                int from = t * chunk, len = t == threads - 1 ? longs - from : chunk;
                Thread w = new Thread(() -> System.arraycopy(src, from, dst, from, len));
                workers.add(w);
                w.start();
            }
            for (Thread w : workers) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return 2L * longs * 8;
        }, seconds);
    }

    private static long largestCache() {
        long best = 0;
        for (int i = 0; i < 8; i++) {
            Path size = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + i + "/size");
            if (!Files.isReadable(size)) continue;
            try {
                String s = Files.readString(size).trim().toUpperCase(Locale.ROOT);
                long mult = s.endsWith("K") ? 1024 : s.endsWith("M") ? 1024 * 1024 : 1;
                best = Math.max(best, Long.parseLong(s.replaceAll("[^0-9]", "")) * mult);
            } catch (IOException | NumberFormatException e) {
                // an unreadable cache level: keep the others
            }
        }
        return best > 0 ? best : 1024 * 1024;
    }

    private static long memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static int simdFloatLanes() {
        try {
            String cpu = Files.readString(Path.of("/proc/cpuinfo"));
            if (cpu.contains(" avx512f")) return 16;
            if (cpu.contains(" avx2")) return 8;
        } catch (IOException e) {
            // not Linux: assume 128-bit SIMD
        }
        return 4;
    }
}
