package dev.squeeze.results;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import dev.squeeze.cli.Main;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code squeeze report} on run folders written the way the search writes them. */
class RunReportTest {
    @TempDir
    static Path results;
    static RunFixture.Written run;

    record Run(int code, String out, String err) {}

    static Run squeeze(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void search() throws Exception {
        run = RunFixture.write(results, "cnn-pi4", 0.7, 3);
        assertTrue(run.front().front().size() >= 3, "the fixture needs a real trade-off: " + run.front().front().size());
        assertTrue(run.front().front().stream().anyMatch(p -> p.fidelity() == Fidelity.RECOVERED), "a recovered plan on the front");
    }

    @Test
    void evaluationsPerWorkerAreShownOnlyForRunsThatNameWorkers() throws Exception {
        Run local = squeeze("report", run.dir().toString());
        assertFalse(local.out().contains("evaluations per worker"), "a local run has no worker table:\n" + local.out());
        assertFalse(Files.readString(run.dir().resolve("report.html")).contains("id=\"workers\""));

        // the same run as if measured on a cluster: trials name two workers in turn (a field older runs lack)
        Path clustered = results.resolve("clustered");
        Files.createDirectories(clustered);
        try (var files = Files.list(run.dir())) {
            for (Path f : files.filter(Files::isRegularFile).toList()) Files.copy(f, clustered.resolve(f.getFileName()));
        }
        var lines = new java.util.ArrayList<String>();
        int i = 0, measuredByA = 0;
        for (String line : Files.readAllLines(run.dir().resolve(RunStore.TRIALS))) {
            var node = (com.fasterxml.jackson.databind.node.ObjectNode) Json.json().readTree(line);
            String worker = i++ % 2 == 0 ? "10.0.0.5:5701" : "10.0.0.6:5701";
            node.put("worker", worker);
            if (worker.startsWith("10.0.0.5") && node.get("fidelity").asText().equals("measured") && !node.get("cache_hit").asBoolean()) measuredByA++;
            lines.add(Json.line(node));
        }
        Files.write(clustered.resolve(RunStore.TRIALS), lines);
        Run r = squeeze("report", clustered.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("evaluations per worker"), r.out());
        String rowA = r.out().lines().filter(l -> l.startsWith("10.0.0.5:5701") && l.contains("measured")).findFirst().orElseThrow();
        assertTrue(rowA.matches("10\\.0\\.0\\.5:5701\\s+measured\\s+" + measuredByA + "\\s.*"), rowA);
        assertTrue(Files.readString(clustered.resolve("report.html")).contains("<h2>Evaluations per worker</h2>"));
        assertTrue(RunStore.open(clustered).readTrials().trials().stream().allMatch(t -> t.worker() != null), "the field reads back");
    }

    @Test
    void tableShowsFrontWithDropThenBaselinesAndRankings() {
        Run r = squeeze("report", run.dir().toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        for (FrontReport.Point p : run.front().front()) {
            assertTrue(r.out().contains(p.id() + " "), "front member " + p.id() + " missing:\n" + r.out());
            assertTrue(r.out().contains(FrontReport.compact(p.plan())), "compact plan of " + p.id());
        }
        List<String> lines = r.out().lines().toList();
        String header = lines.stream().filter(l -> l.startsWith("trial ")).findFirst().orElseThrow();
        for (String col : List.of("accuracy", "drop_pt", "latency_ms", "energy_mj", "size_mb", "fidelity", "plan")) {
            assertTrue(header.contains(col), col + " in " + header);
        }
        int baselines = lines.indexOf(lines.stream().filter(l -> l.startsWith("baseline ")).findFirst().orElseThrow());
        assertTrue(lines.get(baselines + 2).startsWith("uncompressed "), r.out());
        assertTrue(Pattern.compile("(?m)^uncompressed\\s+\\S+\\s+0\\.00\\s").matcher(r.out()).find(), "uncompressed drops 0 points:\n" + r.out());
        assertTrue(r.out().contains("uniform-int8") && r.out().contains("uniform-fp16"));
        assertTrue(r.out().contains("recovered"));
        assertTrue(r.out().contains("ranking predicted -> measured: Kendall tau"), r.out());
        assertTrue(r.out().contains("ranking measured -> recovered: Kendall tau"), r.out());
        assertTrue(Files.isRegularFile(run.dir().resolve("report.html")));
    }

    @Test
    void runIdIsLookedUpUnderResults() {
        Run r = squeeze("report", "cnn-pi4", "--results", results.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("run cnn-pi4: "), r.out());
    }

    @Test
    void formatsForScripts() throws Exception {
        int front = run.front().front().size();
        Run csv = squeeze("report", run.dir().toString(), "--format", "csv");
        assertEquals(0, csv.code(), csv.err());
        List<String> rows = csv.out().strip().lines().toList();
        assertEquals("kind,id,fidelity,accuracy,latency_ms,energy_mj,size_mb,plan", rows.get(0));
        assertEquals(1 + front + 3, rows.size(), csv.out());
        assertEquals(Files.readString(run.dir().resolve("front.csv")), csv.out());

        JsonNode json = Json.json().readTree(squeeze("report", run.dir().toString(), "--format", "json").out());
        assertEquals(front, json.get("front").size());
        assertEquals(3, json.get("baselines").size());
        assertEquals("uncompressed", json.at("/baselines/0/name").asText());
        assertTrue(json.at("/front/0/values").has("latency_ms"));

        Run md = squeeze("report", run.dir().toString(), "--format", "markdown");
        assertEquals(0, md.code(), md.err());
        assertTrue(md.out().contains("| trial | accuracy | drop_pt | latency_ms |"), md.out());
        assertEquals(front + 3, md.out().lines().filter(l -> l.matches("\\| (t\\d{4}|uncompressed|uniform-\\w+) \\|.*")).count(), md.out());

        Run bad = squeeze("report", run.dir().toString(), "--format", "xml");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("table, csv, json, markdown"), bad.err());
    }

    @Test
    void truncatedLastLineIsSkippedAndNamed() throws Exception {
        var killed = RunFixture.write(results, "killed", 0.7, 1);
        Path trials = killed.dir().resolve(RunStore.TRIALS);
        int lines = Files.readAllLines(trials).size();
        Files.writeString(trials, "{\"id\":\"t9999\",\"generation\":4,\"pla", StandardOpenOption.APPEND);
        Run r = squeeze("report", killed.dir().toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(trials + ":" + (lines + 1)) && r.err().contains("skipped"), r.err());
        assertTrue(r.out().contains(killed.front().front().get(0).id()), r.out());

        // killed before the end: no front.json yet, so the report shows the front of the trials so far
        Files.delete(killed.dir().resolve("front.json"));
        Run unfinished = squeeze("report", killed.dir().toString());
        assertEquals(0, unfinished.code(), unfinished.err());
        assertTrue(unfinished.out().contains("stopped on not finished (no front.json yet)"), unfinished.out());
        for (FrontReport.Point p : killed.front().front()) assertTrue(unfinished.out().contains(p.id() + " "), p.id());
    }

    @Test
    void unknownRunIsOneLineListingTheRuns() {
        Run r = squeeze("report", "nope", "--results", results.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("'nope'") && r.err().contains("cnn-pi4"), r.err());
        Run none = squeeze("report", "nope", "--results", results.resolve("missing").toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no runs exist yet"), none.err());
    }

    @Test
    void rankAgreementUsesStoredRungPairsAndSaysWhenThereAreTooFew() throws Exception {
        RunReport r = RunReport.load(run.dir().toString(), results);
        var predicted = r.rankAgreement().get(0);
        assertEquals("predicted", predicted.from());
        assertEquals(run.lines().stream().filter(t -> t.values().containsKey("accuracy_predicted")).count(), predicted.pairs());
        assertNotNull(predicted.tau());
        assertTrue(predicted.tau() > 0.5, "the synthetic prediction is close to the measurement: " + predicted.tau());
        assertEquals(3, r.rankAgreement().get(1).pairs());
        assertNotNull(r.rankAgreement().get(1).tau());
        // the later recovered line supersedes the measured one: one trial per plan
        assertEquals(r.trials().size(), r.trials().stream().map(t -> t.plan().key()).distinct().count());
        assertEquals(run.lines().size() - 3, r.trials().size());

        var unrecovered = RunFixture.write(results, "no-recovery", 0.7, 0);
        Run out = squeeze("report", unrecovered.dir().toString());
        assertTrue(out.out().contains("measured -> recovered: not enough data (0 pairs)"), out.out());
        assertNull(RunReport.load(unrecovered.dir().toString(), results).rankAgreement().get(1).tau());
    }

    @Test
    void impossibleConstraintReportsLeastViolatingPlans() throws Exception {
        var impossible = RunFixture.write(results, "impossible", -1, 0);
        assertFalse(impossible.front().feasible());
        Run r = squeeze("report", impossible.dir().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("no plan met the constraints"), r.out());
        assertTrue(r.out().contains(impossible.front().leastViolating().get(0).id()), r.out());
        String html = Files.readString(impossible.dir().resolve("report.html"));
        assertTrue(html.contains("No feasible plan: least-violating plans"));
        assertTrue(html.contains("class=\"violated\""), "slack shows the violated latency limit");
    }

    @Test
    void htmlHasEveryPlotAndTheFrontsPointsAndNeedsNoNetwork() throws Exception {
        Path file = RunReport.load("cnn-pi4", results).writeHtml();
        String html = Files.readString(file);
        int front = run.front().front().size();
        for (String key : List.of("latency_ms", "energy_mj", "size_mb")) {
            String svg = ReportHtmlChecks.element(html, "scatter-" + key);
            assertEquals(front, ReportHtmlChecks.count(svg, "class=\"point front\""), key);
            for (FrontReport.Point p : run.front().front()) assertTrue(svg.contains("data-trial=\"" + p.id() + "\""), p.id());
            for (String b : List.of("uncompressed", "uniform-int8", "uniform-fp16")) assertTrue(svg.contains(">" + b + "</text>"), b);
            assertTrue(ReportHtmlChecks.count(svg, "class=\"point trial") > front, "all trials drawn faintly");
        }
        long layers = run.front().front().stream().flatMap(p -> p.plan().layers().keySet().stream()).distinct().count();
        for (String knob : List.of("prune_ratio", "weight_bits", "act_bits")) {
            String svg = ReportHtmlChecks.element(html, "heatmap-" + knob);
            assertEquals(front * layers, ReportHtmlChecks.count(svg, "class=\"cell\""), "a cell per member and layer: " + knob);
        }
        // columns follow the model's graph, not the alphabet
        String heatmap = ReportHtmlChecks.element(html, "heatmap-weight_bits");
        var columns = new java.util.ArrayList<String>();
        var m = java.util.regex.Pattern.compile("class=\"layer\"[^>]*>([^<]+)<").matcher(heatmap);
        while (m.find()) columns.add(m.group(1));
        assertEquals(RunFixture.CNN.layerNames().stream().filter(columns::contains).toList(), columns);
        // the run is found under a non-default results folder, so the export command must name its folder
        assertEquals(run.dir().toString(), ReportHtmlChecks.attribute(html, "report-body", "data-run"));
        assertEquals(5, ReportHtmlChecks.count(ReportHtmlChecks.element(html, "hypervolume"), "class=\"gen\""));
        assertTrue(ReportHtmlChecks.element(html, "rank-agreement").contains("recovered"));
        assertEquals(front, ReportHtmlChecks.count(ReportHtmlChecks.element(html, "slack"), "<tr data-trial="));
        assertTrue(ReportHtmlChecks.element(html, "provenance").contains("2025-01-01T00:00:00Z"));
        assertFalse(html.matches("(?s).*(src=|href=|@import|url\\(|https?://).*"), "nothing is fetched");
    }

    @Test
    void scattersScaleAccuracyToTheFrontAndBaselinesAndMarkTrialsBelowOnTheEdge() throws Exception {
        RunReport r = RunReport.load(run.dir().toString(), results);
        String html = Files.readString(r.writeHtml());
        double floor = java.util.stream.Stream.concat(r.members().stream().map(FrontReport.Point::values),
                r.front().baselines().stream().map(FrontReport.Baseline::values)).mapToDouble(v -> v.get("accuracy")).min().orElseThrow();
        long below = r.trials().stream().filter(t -> t.value(Objective.ACCURACY) < floor).count();
        assertTrue(below > 0, "the fixture has trials below the front and baselines");
        long others = r.trials().stream().filter(t -> r.members().stream().noneMatch(p -> p.id().equals(t.id()))).count();
        for (String key : List.of("latency_ms", "energy_mj", "size_mb")) {
            String svg = ReportHtmlChecks.element(html, "scatter-" + key);
            int edge = ReportHtmlChecks.count(svg, " below\" data-trial=");
            assertTrue(edge > 0 && edge <= below, key + ": trials below the axis drawn on its edge: " + edge);
            assertEquals(others, ReportHtmlChecks.count(svg, "class=\"point trial"), key + ": every trial is drawn, inside or on the edge");
            // the lowest accuracy tick is not far below the front's and baselines' lowest accuracy
            var ticks = new java.util.ArrayList<Double>();
            var m = Pattern.compile("text-anchor=\"end\">([-0-9.]+)<").matcher(svg);
            while (m.find()) ticks.add(Double.parseDouble(m.group(1)));
            double lowest = ticks.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            assertTrue(lowest >= floor - 0.05, key + ": the accuracy axis starts at " + lowest + ", the front and baselines at " + floor);
        }
    }

    @Test
    void theAccuracyModelsAgreementIsShownPerGenerationAndOverall() throws Exception {
        RunReport r = RunReport.load(run.dir().toString(), results);
        assertTrue(r.generations().stream().allMatch(g -> g.surrogate() != null && g.surrogate().fittedOn() > 0), "every checkpoint has it");
        var overall = r.rankAgreement().get(r.rankAgreement().size() - 1);
        assertEquals("surrogate", overall.from());
        assertEquals(run.lines().stream().filter(t -> t.fidelity() == Fidelity.MEASURED && t.values().containsKey("accuracy_surrogate")).count(),
                overall.pairs());
        assertNotNull(overall.tau());
        String html = Files.readString(r.writeHtml());
        String table = ReportHtmlChecks.element(html, "surrogate-table");
        assertEquals(r.generations().size() + 1, ReportHtmlChecks.count(table, "<tr>"), "a row per generation");
        String plot = ReportHtmlChecks.element(html, "surrogate-agreement");
        assertTrue(ReportHtmlChecks.count(plot, "class=\"tau heldout\"") >= r.generations().size() - 1, plot);
        assertTrue(ReportHtmlChecks.count(plot, "class=\"tau proposed\"") >= 1, plot);
        assertTrue(squeeze("report", run.dir().toString()).out().contains("ranking surrogate -> measured: Kendall tau"));
    }
}
