package dev.squeeze.cli;

import dev.squeeze.StopRequest;
import dev.squeeze.evaluators.cluster.ClusterSecret;
import dev.squeeze.evaluators.cluster.ClusterSpec;
import dev.squeeze.evaluators.cluster.Endpoint;
import dev.squeeze.evaluators.cluster.Worker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "worker", mixinStandardHelpOptions = true,
        description = {"Join a cluster of squeeze workers and measure the plans searches send it (`squeeze search --cluster`).",
                "It fetches the model and images a search names from that search, keeps them loaded while its plans come, and prints",
                "one line per evaluation. Members must share --cluster-name and the secret in " + ClusterSecret.ENV + " (required",
                "on any address but loopback), and run the same squeeze. SIGINT or SIGTERM: finish the plans under way, hand the",
                "rest back to the search, and leave the cluster cleanly."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "2:bad input, or refused (no secret on a non-loopback address, another squeeze version in the cluster)",
                "130:left the cluster on SIGINT", "143:left the cluster on SIGTERM"})
final class WorkerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--cluster-name", defaultValue = ClusterSpec.DEFAULT_NAME, description = "The cluster's name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "HOST[:PORT]",
            description = {"The interface to listen on, and the address other members reach this one at (default: ${DEFAULT-VALUE});",
                    "without a port, the first free one from " + Endpoint.FIRST_PORT + "."})
    String bind;

    @Option(names = "--join", paramLabel = "HOST:PORT[,...]", description = "Members of the cluster to join through (none: this worker starts it).")
    String join;

    @Option(names = "--threads", description = "Plans measured at once, one network copy each (default: the machine's cores).")
    Integer threads;

    @Option(names = "--store", description = "Folder for the models and images fetched from searches (default: ~/.cache/squeeze/worker).")
    Path store;

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        var out = spec.commandLine().getOut();
        var settings = new Worker.Settings(name, Endpoint.parse(bind, "--bind"), join == null ? List.of() : Endpoint.parseList(join, "--join"),
                threads != null ? threads : Runtime.getRuntime().availableProcessors(), store != null ? store : Worker.defaultStore(),
                ClusterSecret.fromEnvironment());
        var stop = new StopRequest();
        java.util.function.Consumer<String> line = l -> {
            out.println(l);
            out.flush();
        };
        try (var signals = StopSignals.gracefully(stop, ignored -> { }, err)) { // the worker says itself what it does on a signal
            Worker.run(settings, stop, line);
            return signals.exitCode().orElse(0);
        }
    }
}
