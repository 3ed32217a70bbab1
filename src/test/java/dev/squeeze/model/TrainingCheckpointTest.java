package dev.squeeze.model;

import dev.squeeze.Progress;
import dev.squeeze.SqueezeException;
import dev.squeeze.data.DataFixtures;
import dev.squeeze.data.Images;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A training run stopped after an epoch and resumed ends with the weights of the run that was never stopped. */
class TrainingCheckpointTest {
    @TempDir
    static Path dir;
    static Path data;

    @BeforeAll
    static void folder() {
        Backend.init();
        Images images = DataFixtures.embedded(dir);
        data = dir.resolve("data");
        for (int i = 0; i < 400; i++) {
            String split = i < 300 ? "train" : "test";
            DataFixtures.greyPng(images, i, data.resolve(split).resolve(DataFixtures.folder(images.labels()[i])).resolve(i + ".png"));
        }
    }

    private static Training.Request request(Path out, boolean resume) {
        return new Training.Request(Architecture.CNN, 3, 32, 7, out, data, "test", resume);
    }

    @Test
    void resumedRunEqualsTheUninterruptedOne() throws Exception {
        Path whole = dir.resolve("whole.zip");
        Training.run(request(whole, false), Progress.NONE);
        assertFalse(Files.exists(TrainingCheckpoint.stateFile(whole)), "a finished run leaves no checkpoint");

        Path stopped = dir.resolve("stopped.zip");
        // the log line of epoch 2 comes after epoch 1's checkpoint and before epoch 2's: stopping there loses epoch 2
        var crash = assertThrows(IllegalStateException.class, () -> Training.run(request(stopped, false), new Progress() {
            public void update(String status) {}

            public void log(String line) {
                if (line.startsWith("epoch 2/3")) throw new IllegalStateException("stopped");
            }
        }));
        assertEquals("stopped", crash.getMessage());
        assertEquals(1, TrainingCheckpoint.find(stopped).orElseThrow().epochsDone());
        assertFalse(Files.exists(stopped));

        var other = assertThrows(SqueezeException.class, () -> Training.run(
                new Training.Request(Architecture.CNN, 4, 32, 7, stopped, data, "test", true), Progress.NONE));
        assertTrue(other.getMessage().contains("another run") && other.getMessage().contains("--epochs"), other.getMessage());

        ModelCard card = Training.run(request(stopped, true), Progress.NONE).card();
        assertEquals(3, card.epochTestAccuracy().size());
        assertFalse(Files.exists(TrainingCheckpoint.networkFile(stopped)));
        var a = ((MultiLayerNetwork) ModelStore.load(whole.toString()).network()).params();
        var b = ((MultiLayerNetwork) ModelStore.load(stopped.toString()).network()).params();
        double diff = a.sub(b).amaxNumber().doubleValue();
        assertTrue(diff < 1e-5, "max |weight difference| resumed vs uninterrupted: " + diff);
        assertEquals(ModelStore.load(whole.toString()).card().testAccuracy(), card.testAccuracy(), 1e-9);
    }
}
