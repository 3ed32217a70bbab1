package dev.squeeze.cli;

import dev.squeeze.Json;
import dev.squeeze.PeakMemory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --json} for a long-running command that prints a table: with it, the command's result goes to stdout as
 * JSON (for other tools) and its closing line, with the process's peak memory, to stderr, the same for every such
 * command.
 */
final class JsonOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--json", description = "Print the result as JSON instead of a table.")
    boolean json;

    /** With {@code --json}, prints {@code result} and the closing line {@code done} and returns true; else prints nothing. */
    boolean printed(Object result, String done) {
        if (!json) return false;
        command.commandLine().getOut().println(Json.write(result));
        command.commandLine().getErr().println(PeakMemory.closing(done));
        return true;
    }
}
