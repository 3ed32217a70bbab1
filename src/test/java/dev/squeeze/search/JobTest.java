package dev.squeeze.search;

import dev.squeeze.ConfigFiles;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;
import dev.squeeze.results.Objective;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobTest {
    static Job parse(String text) {
        return Job.parse(Yaml.read("job.yaml", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void shippedJobsParse() {
        for (String j : List.of("fashion-cnn-rpi4", "fashion-cnn-jetson", "fashion-attention-t4", "demo")) {
            Job job = Job.parse(ConfigFiles.find(j, "search", "job").yaml());
            assertTrue(job.objectives().contains(Objective.ACCURACY), j);
        }
    }

    @Test
    void fileFormRoundTrips() {
        Job job = Job.parse(ConfigFiles.find("demo", "search", "job").yaml());
        String yaml = dev.squeeze.Json.write(job.fileForm());
        Job again = Job.parse(Yaml.read("run.yaml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))));
        assertEquals(job, again);
    }

    @Test
    void clusterNamesTheMembersAndSurvivesRunYaml() {
        String head = """
                schema: squeeze-job/v1
                model: fashion-cnn
                space: spaces/fashion-cnn.yaml
                evaluator: evaluators/default.yaml
                device: raspberry-pi-4
                objectives: [accuracy, latency_ms]
                """;
        assertTrue(parse(head).cluster().isLocal(), "no cluster: this machine");
        Job listed = parse(head + "cluster: [10.0.0.5:5701, 10.0.0.6]\ncluster_name: lab\n");
        assertEquals("lab", listed.cluster().name());
        assertEquals("10.0.0.5:5701,10.0.0.6", listed.cluster().membersText());
        assertEquals(5701, listed.cluster().members().get(1).portOrFirst());
        assertEquals(listed.cluster(), parse(head + "cluster: 10.0.0.5:5701,10.0.0.6\ncluster_name: lab\n").cluster());
        String yaml = dev.squeeze.Json.write(listed.fileForm());
        assertEquals(listed, Job.parse(Yaml.read("run.yaml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))));
        assertTrue(parse(head + "cluster: local\n").cluster().isLocal());

        var badPort = assertThrows(SqueezeException.class, () -> parse(head + "cluster: 10.0.0.5:99999\n"));
        assertTrue(badPort.getMessage().contains("job.yaml:7") && badPort.getMessage().contains("1 to 65535"), badPort.getMessage());
        var notAList = assertThrows(SqueezeException.class, () -> parse(head + "cluster: {members: 3}\n"));
        assertTrue(notAList.getMessage().contains("job.yaml:7"), notAList.getMessage());
        var noMembers = assertThrows(SqueezeException.class, () -> Searches.cluster(null, "lab"));
        assertTrue(noMembers.getMessage().contains("--cluster"), noMembers.getMessage());
    }

    @Test
    void unknownKeyNamesClosest() {
        var e = assertThrows(SqueezeException.class, () -> parse("""
                schema: squeeze-job/v1
                model: fashion-cnn
                space: spaces/fashion-cnn.yaml
                evaluator: evaluators/default.yaml
                device: raspberry-pi-4
                objectives: [accuracy, latency_ms]
                generatons: 5
                """));
        assertTrue(e.getMessage().contains("job.yaml:7") && e.getMessage().contains("did you mean 'generations'"), e.getMessage());
    }

    @Test
    void unknownObjectiveAndConstraint() {
        var o = assertThrows(SqueezeException.class, () -> parse("""
                schema: squeeze-job/v1
                model: m
                space: s
                evaluator: e
                device: d
                objectives: [accuracy, latency]
                """));
        assertTrue(o.getMessage().contains("unknown objective 'latency'") && o.getMessage().contains("latency_ms"), o.getMessage());
        var c = assertThrows(SqueezeException.class, () -> parse("""
                schema: squeeze-job/v1
                model: m
                space: s
                evaluator: e
                device: d
                objectives: [accuracy, latency_ms]
                constraints: {acc_drop: 0.01}
                """));
        assertTrue(c.getMessage().contains("unknown constraint 'acc_drop'") && c.getMessage().contains("accuracy_drop"), c.getMessage());
    }

    @Test
    void flagsOverrideTheFile() {
        Job job = Searches.resolve(new Searches.Flags("demo", new Job.Overrides(null, null, null, "jetson-orin-nano", 8, 3,
                Duration.ofSeconds(30), 9L, 1), null, 5.0, null, null, null));
        assertEquals("jetson-orin-nano", job.device());
        assertEquals(8, job.population());
        assertEquals(9L, job.seed());
        assertTrue(job.constraints().stream().anyMatch(c -> c.key().equals("latency_ms") && c.limit() == 5.0));
        assertEquals(Duration.ofMinutes(5), Searches.duration("5m"));
        assertThrows(SqueezeException.class, () -> Searches.duration("soon"));
    }
}
