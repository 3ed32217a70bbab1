package dev.squeeze.hardware;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.model.ArchitectureSpecs;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.LayerGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every shipped profile costs every model the acceptance names, with sane numbers and the JSON keys PlanCost documents. */
class AllDevicesTest {
    private static List<LayerGraph> graphs;

    static synchronized List<LayerGraph> graphs() {
        if (graphs == null) {
            LayerGraph attention = fashionAttention();
            graphs = List.of(ArchitectureSpecs.load("fashion-cnn"), attention, ArchitectureSpecs.load("resnet18"), ArchitectureSpecs.load("bert-base"));
        }
        return graphs;
    }

    /** The shipped, trained fashion-attention model's graph (read through DL4J, as the search reads it). */
    static LayerGraph fashionAttention() {
        dev.squeeze.model.Backend.init();
        return dev.squeeze.model.ModelStore.load("fashion-attention").graph();
    }

    static Stream<Arguments> cases() {
        var out = new ArrayList<Arguments>();
        for (String device : Profiles.BUILT_IN) {
            for (String model : List.of("fashion-cnn", "fashion-attention", "resnet18", "bert-base")) out.add(Arguments.of(device, model));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void costsEveryModelOnEveryDevice(String device, String model) throws Exception {
        LayerGraph g = graphs().stream().filter(x -> x.name().equals(model)).findFirst().orElseThrow();
        CostModel cm = CostModel.of(g, Profiles.load(device));
        for (String uniform : List.of("w32a32", "w16a16", "w8a8", "w4a8p0.25")) {
            PlanCost c = cm.cost(CompressionPlan.uniform(uniform).validate(g, uniform), 1);
            var t = c.total();
            for (double v : new double[]{t.latencyMs(), t.energyMj(), t.sizeMb(), t.peakMemoryMb()}) {
                assertTrue(v > 0 && Double.isFinite(v), device + " " + model + " " + uniform + ": " + t);
            }
            assertEquals(g.nodes().size(), c.layers().size());
            assertTrue(t.peakMemoryMb() > t.sizeMb());
        }
        PlanCost full = cm.cost(CompressionPlan.none(), 1), int8 = cm.cost(CompressionPlan.uniform("w8a8"), 1);
        assertTrue(int8.total().sizeMb() < full.total().sizeMb() / 3, "int8 weights are about a quarter of fp32");
        if (full.total().unsupported() > 0) {
            // float on an int8-only device: not costed as faster or slower, but flagged
            assertTrue(full.warnings().stream().anyMatch(w -> w.startsWith("unsupported")), full.warnings().toString());
        } else {
            assertTrue(int8.total().energyMj() < full.total().energyMj(), device + " " + model);
            assertTrue(int8.total().latencyMs() <= full.total().latencyMs(), device + " " + model);
        }

        JsonNode json = Json.json().readTree(Json.write(int8));
        assertTrue(keys(json).containsAll(Set.of("device", "total", "layers", "warnings")));
        assertTrue(keys(json.get("total")).containsAll(Set.of("latency_ms", "energy_mj", "size_mb", "peak_memory_mb")), keys(json.get("total")).toString());
        JsonNode layer = json.get("layers").get(0);
        assertTrue(keys(layer).containsAll(Set.of("name", "format", "bound", "latency_ms", "energy_mj")), keys(layer).toString());
        for (JsonNode l : json.get("layers")) assertTrue(Set.of("compute", "memory").contains(l.get("bound").asText()));
        assertEquals(device, json.get("device").asText());
    }

    private static Set<String> keys(JsonNode n) {
        var out = new TreeSet<String>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) out.add(it.next());
        return out;
    }
}
