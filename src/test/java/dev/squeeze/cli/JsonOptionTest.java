package dev.squeeze.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squeeze.Json;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A command mixing in --json prints its result as JSON on stdout and its closing line, with peak memory, on stderr. */
class JsonOptionTest {
    @Command(name = "table")
    static final class TableCommand implements Callable<Integer> {
        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            if (json.printed(Map.of("rows", 3), "table done")) return 0;
            json.command.commandLine().getOut().println("a table of 3 rows");
            return 0;
        }
    }

    @Test
    void jsonOnStdoutAndTheClosingLineOnStderr() throws Exception {
        var out = new StringWriter();
        var err = new StringWriter();
        var cli = new CommandLine(new TableCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        assertEquals(0, cli.execute("--json"));
        JsonNode doc = Json.json().readTree(out.toString());
        assertEquals(3, doc.get("rows").asInt());
        assertTrue(err.toString().strip().matches("table done; peak memory \\d+(\\.\\d\\d)? (MB|GB)"), err.toString());

        var plain = new StringWriter();
        assertEquals(0, new CommandLine(new TableCommand()).setOut(new PrintWriter(plain, true)).execute());
        assertEquals("a table of 3 rows", plain.toString().strip());
    }
}
