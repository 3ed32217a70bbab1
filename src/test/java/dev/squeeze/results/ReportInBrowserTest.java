package dev.squeeze.results;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opens report.html in headless Chromium (Debian's {@code chromium}; .ci/run installs it) and checks, in
 * the DOM after the page's script ran, that the browser drew every plot and every front point. Also leaves
 * a screenshot in {@code target/report-screenshot.png} (and the page beside it) for people to look at.
 */
class ReportInBrowserTest {
    @TempDir
    Path results;

    @Test
    void everyPlotIsDrawnWithTheFrontsPoints() throws Exception {
        Path chromium = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .flatMap(d -> Stream.of("chromium", "chromium-browser").map(n -> Path.of(d, n)))
                .filter(Files::isExecutable).findFirst().orElse(null);
        if (chromium == null) System.out.println("ReportInBrowserTest skipped: chromium is not installed (apt-get install -y chromium)");
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (apt-get install -y chromium)");

        var run = RunFixture.write(results, "browser", 0.7, 2);
        Path html = RunReport.load(run.dir().toString(), results).writeHtml();
        int front = run.front().front().size();
        String picked = run.front().front().get(0).id();
        String dom = chromium(chromium, "--dump-dom", html.toUri() + "#" + picked);
        assertTrue(ReportHtmlChecks.element(dom, "export").contains("squeeze export " + run.dir() + " --trial " + picked),
                "the linked trial's export command: " + ReportHtmlChecks.element(dom, "export"));
        var plots = new ArrayList<String>(List.of("scatter-latency_ms", "scatter-energy_mj", "scatter-size_mb",
                "heatmap-prune_ratio", "heatmap-weight_bits", "heatmap-act_bits", "hypervolume"));
        for (String id : plots) {
            assertEquals("true", ReportHtmlChecks.attribute(dom, id, "data-drawn"), id + " not drawn by the browser");
            int marks = Integer.parseInt(ReportHtmlChecks.attribute(dom, id, "data-marks-drawn"));
            assertTrue(marks >= (id.startsWith("heatmap") ? front : id.equals("hypervolume") ? 5 : front + 3), id + ": " + marks + " marks");
        }
        for (String id : plots.subList(0, 3)) {
            assertEquals(String.valueOf(front), ReportHtmlChecks.attribute(dom, id, "data-front-drawn"), id + ": front points drawn");
            for (FrontReport.Point p : run.front().front()) {
                assertTrue(ReportHtmlChecks.element(dom, id).contains("data-trial=\"" + p.id() + "\""), p.id() + " in " + id);
            }
        }

        Path shot = Path.of("target", "report-screenshot.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        chromium(chromium, "--screenshot=" + shot, html.toUri().toString());
        assertTrue(Files.size(shot) > 10_000, "screenshot " + shot);
        Files.copy(html, shot.resolveSibling("report-sample.html"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Runs headless Chromium on a file and returns its standard output. */
    private String chromium(Path chromium, String what, String url) throws Exception {
        var cmd = List.of(chromium.toString(), "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
                "--user-data-dir=" + results.resolve("chromium-profile"), "--window-size=1400,3000", "--virtual-time-budget=3000",
                what, url);
        Path out = results.resolve("chromium.out");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(results.resolve("chromium.err").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s: " + Files.readString(results.resolve("chromium.err")));
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(results.resolve("chromium.err")));
        return Files.readString(out);
    }
}
