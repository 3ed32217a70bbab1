package dev.squeeze.cli;

import dev.squeeze.Json;
import dev.squeeze.hardware.Calibration;
import dev.squeeze.hardware.Profiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "profiles", mixinStandardHelpOptions = true,
        description = "Device profiles: list them, show one with its sources, or calibrate one for this machine.",
        subcommands = {ProfilesCommand.ListProfiles.class, ProfilesCommand.Show.class, ProfilesCommand.Calibrate.class, ProfilesCommand.Validate.class})
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

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = {"Export varied plans (pruning; fp32, int8, 4-bit and mixed formats) of each model, time each in ONNX",
                    "Runtime on this machine at batch 1, and compare with the profile's predicted latency: Spearman's rho per model",
                    "and pooled, and per format the factor from predicted to measured time (alike when the profile is right)."})
    static final class Validate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--device", defaultValue = "local-cpu", description = "Profile to check (default: ${DEFAULT-VALUE}; `profiles calibrate` writes it).")
        String device;

        @Option(names = "--model", split = ",", description = "Model zips or built-in names, repeatable or comma-separated "
                + "(default: every model this build ships).")
        List<String> models;

        @Option(names = "--plans", defaultValue = "40", description = "Plans per model (default: ${DEFAULT-VALUE}).")
        int plans;

        @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--repeats", defaultValue = "200", description = "Timed runs per plan; the median counts (default: ${DEFAULT-VALUE}).")
        int repeats;

        @Option(names = "--seed", defaultValue = "42", description = "Seed of the plan draw (default: ${DEFAULT-VALUE}).")
        long seed;

        @Mixin
        DataOption data;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            Main.startBackend();
            var r = dev.squeeze.hardware.ProfileValidation.run(new dev.squeeze.hardware.ProfileValidation.Request(device,
                    models == null ? dev.squeeze.model.ModelStore.shipped() : models, plans, threads, repeats, seed, data.path),
                    TerminalProgress.stderr(spec.commandLine().getErr()));
            var out = spec.commandLine().getOut();
            if (json.printed(r, "profiles validate done")) return 0;
            out.printf("%-18s %-60s %12s %12s %12s%n", "model", "plan", "MACs", "predicted ms", "measured ms");
            for (var t : r.plans()) {
                out.printf("%-18s %-60s %,12d %12.4f %12.4f%n", t.model(), t.plan(), t.macs(), t.predictedMs(), t.measuredMs());
            }
            for (var m : r.models()) {
                out.printf("%s: %d plans, Spearman rho %.3f; after scaling predictions by %.3f, MAPE %.1f%%%n", m.model(), m.plans(),
                        m.spearman(), m.scale(), 100 * m.mape());
            }
            var byFormat = new StringBuilder();
            r.scaleByFormat().forEach((f, v) -> byFormat.append(byFormat.length() == 0 ? "" : ", ").append(String.format("%s %.3f", f, v)));
            out.printf("all on %s, %d plans of %d model(s), ONNX Runtime %d thread(s): Spearman rho %.3f; after scaling predictions by %.3f, "
                    + "MAPE %.1f%%; measured/predicted by format: %s%n", r.device(), r.plans().size(), r.models().size(), r.threads(),
                    r.spearman(), r.scale(), 100 * r.mape(), byFormat);
            if (r.drift() != null) out.println(r.drift());
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
