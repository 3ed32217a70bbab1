package dev.squeeze.data;

/**
 * Where Fashion-MNIST was found.
 *
 * @param kind       {@code --data}, {@code SQUEEZE_DATA}, {@code package} or {@code embedded}
 * @param location   the directory, or the classpath folder of the embedded copy
 * @param hasTrain   whether the 60k training split was there
 */
public record DataSource(String kind, String location, boolean hasTrain) {}
