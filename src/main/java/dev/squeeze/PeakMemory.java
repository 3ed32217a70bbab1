package dev.squeeze;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The process's peak resident memory (the kernel's high-water mark, {@code VmHWM} in {@code /proc/self/status}):
 * what a machine must have for the command to run, native buffers of ND4J and ONNX Runtime included, which the
 * JVM's own figures leave out. Long commands end their closing line with it, so anyone can see what a run needs.
 */
public final class PeakMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private PeakMemory() {}

    /** Peak resident bytes so far, or empty where the kernel does not report it (not Linux). */
    public static OptionalLong bytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmHWM:")) {
                    String kb = line.substring("VmHWM:".length()).trim().split("\\s+")[0];
                    return OptionalLong.of(Long.parseLong(kb) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc (macOS, Windows) or an unexpected format: the figure is left out rather than guessed
        }
        return OptionalLong.empty();
    }

    /**
     * {@code "peak memory 1.23 GB"}, in decimal units (10^9 bytes, as squeeze's sizes are), MB below a gigabyte;
     * {@code "peak memory unknown"} off Linux.
     */
    public static String describe() {
        OptionalLong b = bytes();
        if (b.isEmpty()) return "peak memory unknown";
        double mb = b.getAsLong() / 1e6;
        return mb >= 1000 ? String.format(Locale.ROOT, "peak memory %.2f GB", mb / 1000) : String.format(Locale.ROOT, "peak memory %.0f MB", mb);
    }

    /** {@code line} with the peak appended, as a long command's closing line reads. */
    public static String closing(String line) {
        return line + "; " + describe();
    }
}
