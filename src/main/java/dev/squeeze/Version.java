package dev.squeeze;

/** squeeze's version, as the build recorded it ({@link LibraryVersions}). */
public final class Version {
    private Version() {}

    public static String squeeze() {
        return LibraryVersions.of("squeeze");
    }
}
