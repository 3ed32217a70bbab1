package dev.squeeze.evaluators;

import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;
import dev.squeeze.model.compress.ActivationCalibration;
import dev.squeeze.model.compress.Importance;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvaluatorSpecTest {
    private static EvaluatorSpec parse(String yaml) {
        return EvaluatorSpec.parse(Yaml.read("ev.yaml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))), "ev.yaml");
    }

    private static final String GOOD = """
            schema: squeeze-evaluator/v1
            data: {seed: 7, calibration: 300}
            pruning: {importance: taylor}
            activations: {calibration: percentile}
            fidelity:
              measured: {images: 200}
              recovered: {steps: 10, batch: 32, per_generation: 1, total: 2}
            """;

    @Test
    void readsTypedSettings() {
        EvaluatorSpec s = parse(GOOD);
        assertEquals(Importance.TAYLOR, s.importance());
        assertEquals(ActivationCalibration.PERCENTILE, s.actCalibration());
        assertEquals(new EvaluatorSpec.Recovery(10, 32, 1, 2), s.recovery());
        assertFalse(s.recalibrateBatchNorm());
        assertFalse(s.compressorOptions().recalibrateBatchNorm());
        EvaluatorSpec bn = parse(GOOD.replace("{importance: taylor}", "{importance: taylor, recalibrate_batchnorm: true}"));
        assertTrue(bn.recalibrateBatchNorm() && bn.compressorOptions().recalibrateBatchNorm());
        assertEquals(EvaluatorSpec.Recovery.DEFAULT_LEARNING_RATE, s.exportLearningRate());
        EvaluatorSpec slow = parse(GOOD.replace("batch: 32,", "batch: 32, learning_rate: 3.0e-4,"));
        assertEquals(3e-4, slow.recovery().learningRate());
        assertEquals(3e-4, slow.exportLearningRate(), "export continues at the rung's learning rate");
        assertNotEquals(s.settingsHash(), slow.settingsHash(), "a different learning rate is a different rung");
    }

    /** Recoveries start at from_generation and stop when the total is spent, whatever the generation. */
    @Test
    void recoveriesStartAtTheirGeneration() {
        var r = parse(GOOD.replace("total: 2}", "total: 3, from_generation: 4}")).recovery();
        assertEquals(new EvaluatorSpec.Recovery(10, 32, 1, 3, 4), r);
        assertEquals(java.util.List.of(0, 0, 0, 0, 1, 1, 1, 0, 0), java.util.stream.IntStream.range(0, 9).map(r::budget).boxed().toList());
        var fromStart = new EvaluatorSpec.Recovery(10, 32, 2, 5);
        assertEquals(java.util.List.of(2, 2, 1, 0), java.util.stream.IntStream.range(0, 4).map(fromStart::budget).boxed().toList());
        var e = assertThrows(SqueezeException.class, () -> parse(GOOD.replace("total: 2}", "total: 2, from_generation: -1}")));
        assertTrue(e.getMessage().startsWith("ev.yaml") && e.getMessage().contains("from_generation"), e.getMessage());
    }

    /** Bad values are one-line errors naming the file, whether they come from a file or from code. */
    @Test
    void badValuesNameTheFile() {
        for (String bad : new String[]{GOOD.replace("taylor", "magic"), GOOD.replace("percentile", "median"),
                GOOD.replace("steps: 10", "steps: 0"), GOOD.replace("images: 200", "images: 400"),
                GOOD.replace("batch: 32,", "batch: 32, learning_rate: fast,"), GOOD.replace("batch: 32,", "batch: 32, learning_rate: 2,"),
                GOOD.replace("{importance: taylor}", "{importance: taylor, recalibrate_batchnorm: yes please}")}) {
            var e = assertThrows(SqueezeException.class, () -> parse(bad));
            assertTrue(e.getMessage().startsWith("ev.yaml") && !e.getMessage().contains("\n"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> new EvaluatorSpec("code", 1, 100, Importance.L1, ActivationCalibration.MINMAX, null, 200, null));
        assertThrows(IllegalArgumentException.class, () -> new EvaluatorSpec.Recovery(5, 0, 1, 1));
    }

    /** Evaluations name their evaluator by where it was read from and a hash of its settings alone. */
    @Test
    void theSettingsHashFollowsTheSettingsNotTheFile() throws Exception {
        EvaluatorSpec s = parse(GOOD);
        EvaluatorSpec elsewhere = EvaluatorSpec.parse(Yaml.read("other.yaml", new ByteArrayInputStream(
                ("description: the same settings\n" + GOOD).getBytes(StandardCharsets.UTF_8))), "other.yaml");
        assertEquals(s.settingsHash(), elsewhere.settingsHash(), "same settings, another file and description");
        assertTrue(s.settingsHash().matches("[0-9a-f]{16}"), s.settingsHash());
        for (String changed : new String[]{GOOD.replace("seed: 7", "seed: 8"), GOOD.replace("taylor", "l2"), GOOD.replace("steps: 10", "steps: 11"),
                GOOD.replace("images: 200", "images: 100"), GOOD.replace("{importance: taylor}", "{importance: taylor, recalibrate_batchnorm: true}")}) {
            assertNotEquals(s.settingsHash(), parse(changed).settingsHash(), changed);
        }
        assertEquals(new dev.squeeze.results.EvaluatedBy("ev.yaml", s.settingsHash(), "a rung"), s.evaluatedBy("a rung"));
        // the spec's JSON (what cluster workers are sent, and what their workload id hashes) holds its components and nothing else
        var fields = new java.util.ArrayList<String>();
        dev.squeeze.Json.json().readTree(dev.squeeze.Json.line(s)).fieldNames().forEachRemaining(fields::add);
        assertEquals(java.util.List.of("source", "data_seed", "calibration", "importance", "act_calibration", "screen_drop", "measured_images", "recovery",
                        "recalibrate_batch_norm"),
                fields);
    }
}
