package dev.squeeze;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

class PeakMemoryTest {
    /** The figure is the kernel's VmHWM for this process (on Linux, where CI runs), at least the resident size now. */
    @Test
    void readsTheKernelsHighWaterMark() throws Exception {
        long peak = PeakMemory.bytes().orElseThrow();
        long rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024).findFirst().orElseThrow();
        assertTrue(peak >= rss, "peak " + peak + " below current " + rss);
        assertTrue(peak > 20_000_000L, "a JVM holds more than 20 MB: " + peak);
    }

    @Test
    void closingLineEndsWithTheFigure() {
        String line = PeakMemory.closing("done: 3 trials");
        assertTrue(line.matches("done: 3 trials; peak memory \\d+(\\.\\d\\d)? (MB|GB)"), line);
    }
}
