package dev.squeeze.onnx;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.Backend;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;

import java.util.Locale;
import java.util.Map;

/**
 * Micro-check, not a test: how fast {@link OnnxRunner#accuracy} evaluates fashion-cnn on 2,000 images at 1 and 2
 * intra-op threads (DL4J's {@link Accuracy} beside it for scale). Best of 5 timed passes after one warm-up pass;
 * other work on the machine (check the load average) lowers the figures, and hurts 2 threads most.
 * <pre>
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) dev.squeeze.onnx.OnnxThroughput
 * </pre>
 */
public final class OnnxThroughput {
    private static final int IMAGES = 2000, PASSES = 5;

    private OnnxThroughput() {}

    public static void main(String[] args) {
        Backend.init(); // before anything touches ND4J, or DL4J runs without its oneDNN helpers
        ModelHandle m = ModelStore.load("fashion-cnn");
        Images images = OnnxFixtures.images(IMAGES);
        byte[] onnx = OnnxWriter.write(m, Map.of());
        for (int threads : new int[]{1, 2}) {
            try (var runner = OnnxRunner.of(onnx, threads)) {
                report("ONNX Runtime, " + threads + " intra-op thread(s)", () -> runner.accuracy(images, InputEncoding.IMAGE));
            }
        }
        report("DL4J (ND4J default threads)", () -> Accuracy.of(m.network(), images, m.encoding()));
    }

    private static void report(String what, java.util.function.DoubleSupplier accuracy) {
        double acc = accuracy.getAsDouble(); // warm-up
        long best = Long.MAX_VALUE;
        for (int i = 0; i < PASSES; i++) {
            long t0 = System.nanoTime();
            accuracy.getAsDouble();
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf(Locale.ROOT, "%-40s %,8.0f img/s  (%d images in %.0f ms, accuracy %.4f)%n",
                what, IMAGES / (best / 1e9), IMAGES, best / 1e6, acc);
    }
}
