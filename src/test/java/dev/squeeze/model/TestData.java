package dev.squeeze.model;

import dev.squeeze.data.DataSplits;

/** The real Fashion-MNIST splits, loaded once per test JVM (lookup order as for users). */
public final class TestData {
    private static DataSplits splits;

    private TestData() {}

    public static synchronized DataSplits splits() {
        if (splits == null) splits = DataSplits.load(null, 42, 2000);
        return splits;
    }
}
