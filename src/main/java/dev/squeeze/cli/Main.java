package dev.squeeze.cli;

import dev.squeeze.SqueezeException;
import dev.squeeze.Version;
import dev.squeeze.onnx.Ort;
import dev.squeeze.model.Backend;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code squeeze} root command: subcommands, version, and the one place errors become exit codes. */
@Command(name = "squeeze", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Finds the best way to compress a neural network for a given device, and produces that model.",
        subcommands = {DemoCommand.class, SearchCommand.class, ReportCommand.class, ExportCommand.class, ApplyCommand.class, TrainCommand.class, InspectCommand.class,
                CostCommand.class, ProfilesCommand.class, BenchCommand.class, WorkerCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run `squeeze COMMAND --help` for a command's options."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Libraries print to System.out (ND4J's SameDiff announces every op it registers); squeeze's own output
        // keeps the real stdout, so `--json` stays parseable, and stray library lines go to stderr.
        var stdout = new PrintWriter(System.out, true);
        System.setOut(System.err);
        var stderr = new PrintWriter(System.err, true);
        StopSignals.atOnce(stderr); // search and demo stop gracefully instead, while they run (RunOptions)
        // The command runs on a thread with the stack ONNX Runtime needs (the JVM's main thread has 1 MB); exiting from here
        // after it returned means no squeeze thread is inside native code when the JVM tears it down.
        System.exit(Ort.onLargeStack("squeeze-main", () -> run(stdout, stderr, args)));
    }

    /** Runs squeeze with the given streams and returns the exit code (tests call this). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine();
        cli.setOut(out);
        cli.setErr(err);
        return cli.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable t = ex;
            while (!(t instanceof SqueezeException) && t.getCause() != null && t.getCause() != t) t = t.getCause();
            if (t instanceof SqueezeException se) {
                commandLine.getErr().println("squeeze: " + se.getMessage());
                return se.exitCode();
            }
            if (ex instanceof IllegalArgumentException) {
                commandLine.getErr().println("squeeze: " + ex.getMessage());
                return SqueezeException.BAD_INPUT;
            }
            throw ex;
        });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Starts ND4J with oneDNN helpers; each command that touches a network calls it first. */
    static void startBackend() {
        Backend.init();
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        public String[] getVersion() {
            return new String[]{"squeeze " + Version.squeeze()};
        }
    }
}
