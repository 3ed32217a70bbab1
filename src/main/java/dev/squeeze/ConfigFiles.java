package dev.squeeze;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Finds configuration files (spaces, evaluators, jobs, profiles): a path that exists wins; otherwise the
 * copy shipped inside squeeze under the same relative path ({@code spaces/fashion-cnn.yaml}) or the bare
 * name in its folder ({@code fashion-cnn} in {@code spaces/}). So shipped configurations work from any
 * directory, and a user's edited copy in the working directory takes precedence.
 */
public final class ConfigFiles {
    private ConfigFiles() {}

    /** A configuration document and its bytes' SHA-256 (for provenance and cache keys). */
    public record Found(Yaml yaml, String where, String sha256) {}

    public static Found find(String ref, String folder, String what) {
        Path p = Path.of(ref);
        if (Files.isRegularFile(p)) {
            try {
                byte[] bytes = Files.readAllBytes(p);
                return new Found(Yaml.read(p.toString(), new java.io.ByteArrayInputStream(bytes)), p.toString(), sha256(bytes));
            } catch (IOException e) {
                throw new SqueezeException(p + ": cannot read (" + e.getMessage() + ")");
            }
        }
        String name = ref.endsWith(".yaml") ? ref : ref + ".yaml";
        for (String candidate : List.of(name, folder + "/" + name)) {
            try (InputStream in = ConfigFiles.class.getResourceAsStream("/" + candidate)) {
                if (in != null) {
                    byte[] bytes = in.readAllBytes();
                    return new Found(Yaml.read("built-in " + candidate, new java.io.ByteArrayInputStream(bytes)),
                            "built-in:" + candidate, sha256(bytes));
                }
            } catch (IOException e) {
                throw new SqueezeException("cannot read built-in " + candidate + ": " + e.getMessage());
            }
        }
        throw new SqueezeException(what + " '" + ref + "' is neither a file nor a built-in " + what
                + ": give a path, or a name from the " + folder + "/ folder");
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
