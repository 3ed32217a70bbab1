package dev.squeeze;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The versions of squeeze and the libraries a result depends on, for provenance. They come from the build: Maven writes
 * the versions it resolved into {@code squeeze/versions.properties}. Asking a library's package for its version does not
 * work in the shaded jar, which keeps one manifest (squeeze's), so every library answered with squeeze's version.
 */
public final class LibraryVersions {
    private static final Map<String, String> VERSIONS = read();

    private LibraryVersions() {}

    /** squeeze, java, jenetics, dl4j, nd4j, jackson, picocli, onnxruntime (as built), in that order. */
    public static Map<String, String> all() {
        return VERSIONS;
    }

    public static String of(String library) {
        String v = VERSIONS.get(library);
        if (v == null) throw new IllegalArgumentException("no version recorded for '" + library + "'; known: " + VERSIONS.keySet());
        return v;
    }

    private static Map<String, String> read() {
        var p = new Properties();
        try (InputStream in = LibraryVersions.class.getResourceAsStream("/squeeze/versions.properties")) {
            if (in == null) throw new IllegalStateException("squeeze/versions.properties is missing from this build: rebuild squeeze");
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read squeeze/versions.properties: " + e.getMessage(), e);
        }
        var out = new LinkedHashMap<String, String>();
        out.put("squeeze", p.getProperty("squeeze"));
        out.put("java", System.getProperty("java.version"));
        for (String lib : new String[]{"jenetics", "dl4j", "nd4j", "jackson", "picocli", "onnxruntime"}) out.put(lib, p.getProperty(lib));
        return java.util.Collections.unmodifiableMap(out);
    }
}
