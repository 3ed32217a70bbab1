package dev.squeeze.search;

import dev.squeeze.evaluators.Evaluation;
import dev.squeeze.results.EvaluatedBy;
import dev.squeeze.results.Fidelity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The persisted evaluation cache keeps which evaluator made each evaluation, and caches written before that still read. */
class EvaluationCacheTest {
    @Test
    void evaluationsKeepTheirMakerAndOldCachesRead(@TempDir Path dir) throws Exception {
        var by = new EvaluatedBy("evaluators/default.yaml", "0123456789abcdef", "recovered: 100 distillation steps of 64, then measured");
        var cache = new LinkedHashMap<String, Evaluation>();
        cache.put("w8a8@recovered", new Evaluation(Map.of("accuracy", 0.91, "accuracy_measured", 0.9), Fidelity.RECOVERED, 2.5, "10.0.0.6:5701", by));
        cache.put("w4a8", new Evaluation(Map.of("accuracy", 0.85), Fidelity.PREDICTED, 0, by));
        Path file = dir.resolve("cache.jsonl");
        SearchService.writeCache(file, cache);
        assertEquals(cache, SearchService.readCache(file));

        // a line as squeeze wrote it before evaluations named their evaluator (and when fidelity was a string)
        Files.writeString(file, "{\"key\":\"w2a8\",\"evaluation\":{\"values\":{\"accuracy\":0.5},\"fidelity\":\"measured\",\"seconds\":1.25}}\n");
        Evaluation old = SearchService.readCache(file).get("w2a8");
        assertEquals(Fidelity.MEASURED, old.fidelity());
        assertEquals(1.25, old.seconds());
        assertNull(old.evaluatedBy());
        assertNull(old.worker());
    }
}
