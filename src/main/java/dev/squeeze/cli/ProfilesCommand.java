package dev.squeeze.cli;

import dev.squeeze.Json;
import dev.squeeze.hardware.Calibration;
import dev.squeeze.hardware.Profiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "profiles", mixinStandardHelpOptions = true,
        description = "Device profiles: list them, show one with its sources, or calibrate one for this machine.",
        subcommands = {ProfilesCommand.ListProfiles.class, ProfilesCommand.Show.class, ProfilesCommand.Calibrate.class})
final class ProfilesCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List known devices with their headline figures.")
    static final class ListProfiles implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print JSON instead of a table.")
        boolean json;

        @Override
        public Integer call() {
            var profiles = Profiles.known().stream().map(Profiles::load).toList();
            spec.commandLine().getOut().println(json ? Json.write(profiles) : CostTables.profiles(profiles));
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a profile as stored, with the source of every figure.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "A device name or profile YAML file.")
        String name;

        @Option(names = "--json", description = "Print the parsed profile as JSON.")
        boolean json;

        @Override
        public Integer call() {
            var out = spec.commandLine().getOut();
            out.println(json ? Json.write(Profiles.load(name)) : Profiles.text(name));
            return 0;
        }
    }

    @Command(name = "calibrate", mixinStandardHelpOptions = true,
            description = "Measure this machine (GEMM throughput, int8 and fp32 matmul, memory bandwidth, per-op overhead) and write a local-cpu profile.")
    static final class Calibrate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--out", defaultValue = "hardware-profiles/local-cpu.yaml", description = "Where to write the profile (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--quick", description = "Shorter measurements (less stable figures).")
        boolean quick;

        @Override
        public Integer call() {
            Main.startBackend();
            var progress = TerminalProgress.stderr(spec.commandLine().getErr());
            var result = Calibration.run(new Calibration.Request(out, quick), progress);
            spec.commandLine().getOut().println(CostTables.calibration(result));
            return 0;
        }
    }
}
