package dev.squeeze.cli;

import dev.squeeze.search.Searches;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the embedded default end to end: a small search for fashion-cnn on a Raspberry Pi 4",
                "with the shipped model and data, then print the front and where the results are.",
                "SIGINT (Ctrl-C) or SIGTERM stops it cleanly, as it stops `squeeze search`, and says how to resume."},
        exitCodeListHeading = "%nExit codes:%n", exitCodeList = {
                "0:the demo ran to the end",
                "130:stopped by SIGINT (Ctrl-C): resume with `squeeze search --resume RUN`",
                "143:stopped by SIGTERM: resume with `squeeze search --resume RUN`"})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions run;

    @Override
    public Integer call() {
        var job = Searches.resolve(new Searches.Flags(Searches.DEMO_JOB,
                new dev.squeeze.search.Job.Overrides(null, null, null, null, null, null, null, null, null),
                null, null, null, null, null));
        return run.execute(spec, job, Searches.DEMO_JOB, null, null);
    }
}
