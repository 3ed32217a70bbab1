package dev.squeeze.onnx;

import dev.squeeze.model.compress.ActivationQuant;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.Accuracy;
import dev.squeeze.model.ModelHandle;
import dev.squeeze.model.ModelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OnnxRunnerTest {

    /**
     * Only the first environment's creation needs a large stack (Ort.environment does it on one). Sessions created
     * and run on threads with the JVM's default stack, also two at once on one session, work and agree exactly.
     */
    @Test
    void sessionsWorkOnThreadsWithTheDefaultStack() throws Exception {
        byte[] onnx = OnnxWriter.write(ModelStore.load("fashion-cnn"), Map.of());
        INDArray x = OnnxFixtures.features(InputEncoding.IMAGE, 200);
        try (var runner = OnnxRunner.of(onnx, 1)) {
            float[] expected = runner.output(x).toFloatMatrix()[7];
            var threads = new ArrayList<Thread>();
            var failure = new AtomicReference<Throwable>();
            List<float[]> got = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 2; t++) {
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < 5; i++) got.add(runner.output(x).toFloatMatrix()[7]);
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                }));
            }
            threads.add(new Thread(() -> {
                try (var own = OnnxRunner.of(onnx, 2)) {
                    got.add(own.output(x).toFloatMatrix()[7]);
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
            for (Thread t : threads) t.start();
            for (Thread t : threads) t.join();
            if (failure.get() != null) throw new AssertionError(failure.get());
            assertEquals(11, got.size());
            for (float[] g : got) assertArrayEquals(expected, g, 1e-6f);
        }
    }

    @Test
    void accuracyAgreesWithDl4j() {
        ModelHandle m = ModelStore.load("fashion-attention");
        Images images = OnnxFixtures.images(1000);
        double dl4j = Accuracy.of(m.network(), images, m.encoding());
        try (var runner = OnnxRunner.of(OnnxWriter.write(m, Map.of()), 2)) {
            double ort = runner.accuracy(images, m.encoding());
            System.out.printf("fashion-attention on 1000 test images: DL4J %.4f, ONNX Runtime %.4f%n", dl4j, ort);
            assertEquals(dl4j, ort, 1e-9, "a 1e-6 difference in probabilities flips no prediction here");
            assertArrayEquals(Accuracy.predict(m.network(), m.encoding().features(images, 0, 10)),
                    runner.predict(m.encoding().features(images, 0, 10)));
        }
    }

    @Test
    void opensAModelFile(@TempDir Path dir) throws Exception {
        var net = OnnxFixtures.oddAttention(3);
        byte[] onnx = OnnxWriter.write(net, OnnxFixtures.ROW_TOKENS, Map.of("dense1", ActivationQuant.ofRange(0f, 2f, 8)));
        Path file = Files.write(dir.resolve("model.onnx"), onnx);
        INDArray x = OnnxFixtures.features(InputEncoding.ROW_TOKENS, 20);
        try (var fromBytes = OnnxRunner.of(onnx, 1); var fromFile = OnnxRunner.of(file, 1)) {
            assertEquals(0, OnnxFixtures.maxAbsDiff(fromBytes.output(x), fromFile.output(x)));
        }
        assertThrows(IllegalArgumentException.class, () -> OnnxRunner.of(onnx, 0));
    }
}
