package dev.squeeze.data;

/**
 * Where the data was found.
 *
 * @param kind       how it was named: {@code --data}, {@code SQUEEZE_DATA}, {@code package} or {@code embedded}
 * @param location   the directory or data file, or the classpath folder of the embedded copy
 * @param hasTrain   whether a train split was there (for Fashion-MNIST: the 60k training file)
 */
public record DataSource(String kind, String location, boolean hasTrain) {}
