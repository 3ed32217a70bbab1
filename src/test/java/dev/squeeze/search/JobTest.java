package dev.squeeze.search;

import dev.squeeze.ConfigFiles;
import dev.squeeze.SqueezeException;
import dev.squeeze.Yaml;
import dev.squeeze.results.Constraint;
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
        assertEquals(job, throughRunYaml(job));
    }

    @Test
    void clusterNamesTheMembersAndSurvivesRunYaml() {
        assertTrue(parse(HEAD).cluster().isLocal(), "no cluster: this machine");
        Job listed = parse(HEAD + "cluster: [10.0.0.5:5701, 10.0.0.6]\ncluster_name: lab\n");
        assertEquals("lab", listed.cluster().name());
        assertEquals("10.0.0.5:5701,10.0.0.6", listed.cluster().membersText());
        assertEquals(5701, listed.cluster().members().get(1).portOrFirst());
        assertEquals(listed.cluster(), parse(HEAD + "cluster: 10.0.0.5:5701,10.0.0.6\ncluster_name: lab\n").cluster());
        assertEquals(listed, throughRunYaml(listed));
        assertTrue(parse(HEAD + "cluster: local\n").cluster().isLocal());

        var badPort = assertThrows(SqueezeException.class, () -> parse(HEAD + "cluster: 10.0.0.5:99999\n"));
        assertTrue(badPort.getMessage().contains("job.yaml:7") && badPort.getMessage().contains("1 to 65535"), badPort.getMessage());
        var notAList = assertThrows(SqueezeException.class, () -> parse(HEAD + "cluster: {members: 3}\n"));
        assertTrue(notAList.getMessage().contains("job.yaml:7"), notAList.getMessage());
        var noMembers = assertThrows(SqueezeException.class, () -> Searches.cluster(null, "lab"));
        assertTrue(noMembers.getMessage().contains("--cluster"), noMembers.getMessage());
    }

    @Test
    void unknownKeyNamesClosest() {
        var e = assertThrows(SqueezeException.class, () -> parse(HEAD + "generatons: 5\n"));
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

    /** The job as a resumed run reads it back from the run.yaml a search writes. */
    private static Job throughRunYaml(Job job) {
        String yaml = dev.squeeze.Json.write(job.fileForm());
        return Job.parse(Yaml.read("run.yaml", new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))));
    }

    private static final String HEAD = """
            schema: squeeze-job/v1
            model: fashion-cnn
            space: spaces/fashion-cnn.yaml
            evaluator: evaluators/default.yaml
            device: raspberry-pi-4
            objectives: [accuracy, latency_ms]
            """;

    private static Job valid(int population, int generations, Duration timeBudget, int stagnation, int threads, int batch,
                             List<Objective> objectives, List<Constraint> constraints, String model) {
        return new Job("j", model, "spaces/fashion-cnn.yaml", "evaluators/default.yaml", "raspberry-pi-4", objectives, constraints,
                population, generations, timeBudget, stagnation, 1, threads, false, batch, null);
    }

    private static final List<Objective> TWO = List.of(Objective.ACCURACY, Objective.LATENCY_MS);

    /** The constructor checks every field, so code, job files, run.yaml and flags all get the same one-line errors. */
    @Test
    void everyWayOfMakingAJobGetsTheSameChecks() {
        record Case(String field, String fileLine, java.util.function.Supplier<Job> code, Job.Overrides flags, String says) {}
        var none = new Job.Overrides(null, null, null, null, null, null, null, null, null);
        var cases = List.of(
                new Case("population", "population: 3", () -> valid(3, 1, null, 0, 1, 1, TWO, List.of(), "m"),
                        new Job.Overrides(null, null, null, null, 3, null, null, null, null), "population must be at least 4, got 3"),
                new Case("generations", "generations: 0", () -> valid(4, 0, null, 0, 1, 1, TWO, List.of(), "m"),
                        new Job.Overrides(null, null, null, null, null, 0, null, null, null), "generations must be at least 1, got 0"),
                new Case("time_budget_s", "time_budget_s: -5", () -> valid(4, 1, Duration.ofSeconds(-5), 0, 1, 1, TWO, List.of(), "m"),
                        new Job.Overrides(null, null, null, null, null, null, Duration.ZERO, null, null), "time budget must be positive"),
                new Case("threads", "threads: 0", () -> valid(4, 1, null, 0, 0, 1, TWO, List.of(), "m"),
                        new Job.Overrides(null, null, null, null, null, null, null, null, 0), "threads must be at least 1, got 0"),
                new Case("stagnation", "stagnation: -1", () -> valid(4, 1, null, -1, 1, 1, TWO, List.of(), "m"), null,
                        "stagnation must be >= 0"),
                new Case("batch", "batch: 0", () -> valid(4, 1, null, 0, 1, 0, TWO, List.of(), "m"), null, "batch must be at least 1, got 0"),
                new Case("model", "model: ''", () -> valid(4, 1, null, 0, 1, 1, TWO, List.of(), " "),
                        new Job.Overrides("", null, null, null, null, null, null, null, null), "model is empty: give a model name or zip"),
                new Case("objectives", "objectives: [accuracy]", () -> valid(4, 1, null, 0, 1, 1, List.of(Objective.ACCURACY), List.of(), "m"),
                        null, "objectives must list at least two"),
                new Case("objectives", "objectives: [accuracy, latency_ms, accuracy]",
                        () -> valid(4, 1, null, 0, 1, 1, List.of(Objective.ACCURACY, Objective.LATENCY_MS, Objective.ACCURACY), List.of(), "m"),
                        null, "objectives lists one twice"),
                new Case("constraints", null, () -> valid(4, 1, null, 0, 1, 1, TWO,
                        List.of(new Constraint("latency_ms", 1), new Constraint("latency_ms", 2)), "m"), null, "constraints limit latency_ms twice"),
                new Case("objectives", "objectives: [latency_ms, size_mb]",
                        () -> valid(4, 1, null, 0, 1, 1, List.of(Objective.LATENCY_MS, Objective.SIZE_MB), List.of(), "m"),
                        null, "objectives must list exactly one quality metric"),
                new Case("objectives", "objectives: [accuracy, agreement, latency_ms]",
                        () -> valid(4, 1, null, 0, 1, 1, List.of(Objective.ACCURACY, Objective.AGREEMENT, Objective.LATENCY_MS), List.of(), "m"),
                        null, "objectives must list exactly one quality metric"),
                new Case("constraints", null, () -> valid(4, 1, null, 0, 1, 1, List.of(Objective.AGREEMENT, Objective.LATENCY_MS),
                        List.of(new Constraint("accuracy_drop", 0.01)), "m"), null,
                        "constraint accuracy_drop limits accuracy, which is not an objective; limit agreement_drop instead"));
        for (Case c : cases) {
            var inCode = assertThrows(Job.Invalid.class, () -> c.code().get(), c.field());
            assertEquals(c.field(), inCode.field());
            assertTrue(inCode.getMessage().startsWith(c.says), inCode.getMessage());
            assertEquals(2, inCode.exitCode());
            if (c.fileLine() != null) {
                String text = HEAD.lines().filter(l -> !l.startsWith(c.fileLine().substring(0, c.fileLine().indexOf(':') + 1)))
                        .collect(java.util.stream.Collectors.joining("\n", "", "\n")) + c.fileLine() + "\n";
                var inFile = assertThrows(SqueezeException.class, () -> parse(text), c.field());
                assertTrue(inFile.getMessage().matches("job\\.yaml:\\d+: " + java.util.regex.Pattern.quote(c.says) + ".*"), inFile.getMessage());
                assertEquals(1, inFile.getMessage().lines().count());
            }
            if (c.flags() != null) {
                var onFlags = assertThrows(SqueezeException.class, () -> parse(HEAD).with(c.flags()), c.field());
                assertTrue(onFlags.getMessage().startsWith("command line: " + c.says), onFlags.getMessage());
            }
        }
        assertEquals(parse(HEAD), parse(HEAD).with(none), "no overrides: the same job");
        var oneObjective = assertThrows(SqueezeException.class, () -> Searches.resolve(new Searches.Flags(null,
                new Job.Overrides("fashion-cnn", "spaces/fashion-cnn.yaml", null, "raspberry-pi-4", null, null, null, null, null),
                List.of(Objective.ACCURACY), null, null, null, null)));
        assertEquals("command line: objectives must list at least two, e.g. [accuracy, latency_ms]", oneObjective.getMessage());
    }

    /** On the command line: exit code 2 and one line that names the field, before anything is loaded. */
    @Test
    void badFlagsExitTwoWithOneLine() {
        var out = new java.io.StringWriter();
        var err = new java.io.StringWriter();
        int code = dev.squeeze.cli.Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), "search", "--model", "fashion-cnn",
                "--space", "spaces/fashion-cnn.yaml", "--device", "raspberry-pi-4", "--population", "2");
        assertEquals(2, code, err.toString());
        assertEquals("squeeze: command line: population must be at least 4, got 2", err.toString().strip());
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
