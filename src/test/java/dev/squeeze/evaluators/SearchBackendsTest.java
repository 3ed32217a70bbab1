package dev.squeeze.evaluators;

import dev.squeeze.Progress;
import dev.squeeze.data.DataSplits;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchBackendsTest {
    private static final EvaluatorSpec THOROUGH = new EvaluatorSpec("evaluators/thorough.yaml", 42, 2000, dev.squeeze.model.compress.Importance.TAYLOR, dev.squeeze.model.compress.ActivationCalibration.MINMAX, 0.15, 2000,
            new EvaluatorSpec.Recovery(2580, 64, 2, 8));

    /** The shipped rpi4 job's rung on the embedded data's 3,000 training images: one line says so, and what to install. */
    @Test
    void aRecoveryFarLargerThanTheTrainSplitIsSaidOnce() {
        var lines = new ArrayList<String>();
        SearchBackends.warnIfTooLittleTrainingData(THOROUGH, THOROUGH.recovery(), 3000, data("embedded", 3000), recorder(lines));
        assertEquals(1, lines.size(), lines.toString());
        String line = lines.get(0);
        for (String part : List.of("evaluators/thorough.yaml", "165,120 images", "2,580 steps of 64", "embedded", "3,000", "55 times",
                "apt-get install dataset-fashion-mnist")) {
            assertTrue(line.contains(part), "'" + part + "' missing from: " + line);
        }
    }

    /** Three epochs of the 55,000-image split is what the rung was sized for: nothing to say. */
    @Test
    void theSplitTheRungWasSizedForIsSilent() {
        var lines = new ArrayList<String>();
        SearchBackends.warnIfTooLittleTrainingData(THOROUGH, THOROUGH.recovery(), 55_000, data("package", 55_000), recorder(lines));
        assertTrue(lines.isEmpty(), lines.toString());
    }

    private static DataSplits.Description data(String source, int train) {
        return new DataSplits.Description(source, "somewhere", 42, train, 2000, 5000, "a", "a", "a");
    }

    private static Progress recorder(List<String> lines) {
        return new Progress() {
            public void update(String status) {}
            public void log(String line) { lines.add(line); }
        };
    }
}
