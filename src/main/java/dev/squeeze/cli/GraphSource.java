package dev.squeeze.cli;

import picocli.CommandLine.Option;

/** {@code --model F|NAME} or {@code --spec F|NAME}: where a command gets its layer graph (an exclusive group). */
final class GraphSource {
    @Option(names = "--model", description = "A DL4J model zip, or a built-in model: fashion-cnn, fashion-attention, fashion-resnet, fashion-mobilenet.")
    String model;

    @Option(names = "--spec", description = "An architecture spec YAML, or a built-in spec: fashion-cnn, fashion-resnet, fashion-mobilenet, resnet18, bert-base.")
    String spec;
}
