package dev.squeeze.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --data}: where Fashion-MNIST is read from, for every command that reads it. */
final class DataOption {
    @Option(names = "--data", description = "Directory with the Fashion-MNIST .gz files (default: $SQUEEZE_DATA, the Debian package, then the embedded test split).")
    Path dir;
}
