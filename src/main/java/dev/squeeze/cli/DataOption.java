package dev.squeeze.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --data}: the data a command reads, for every command that reads it. */
final class DataOption {
    @Option(names = "--data", paramLabel = "DIR|FILE", description = "A data folder (the four Fashion-MNIST .gz files; train/ and test/ "
            + "with one subfolder per class; or class subfolders) or a squeeze-data/v1 file (default: $SQUEEZE_DATA, the Debian package, "
            + "then the embedded test split).")
    Path path;
}
