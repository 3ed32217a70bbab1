package dev.squeeze.model;

import org.bytedeco.javacpp.Pointer;

/**
 * Keeps the native memory held by garbage ND4J arrays bounded. An ND4J array's buffer lives outside the Java heap and
 * is freed only when a garbage collection finds the array's small Java wrapper unreachable. squeeze's loops (a
 * search's candidates, a fine-tune's steps) allocate megabytes of buffers per iteration but little heap, so
 * collections came rarely and resident memory grew until JavaCPP's own limit (four times the heap) forced one: 9-11 GB
 * for the demo, 17 GB for a long search. Arrays a loop owns outright are released at once ({@link Backend#release});
 * loops call {@link #checkpoint()} between iterations to catch the rest: once resident memory is more than
 * {@link #headroomBytes()} above what it was at the first checkpoint, it asks for a collection, at most every
 * {@value #MIN_INTERVAL_MS} ms, which hands the buffers of the wrappers that died back to the allocator for reuse.
 *
 * <p>The measure is resident memory, not a count of ND4J's buffers (ND4J keeps none that is cheap to read), and it
 * stays above the line once crossed, because the C allocator keeps freed memory for reuse instead of returning it:
 * the interval, not the line, then bounds how much garbage builds up between collections. The launcher runs the JVM
 * with {@code -XX:+ExplicitGCInvokesConcurrent}, so a request costs a young collection (a few ms; the wrappers are
 * young) rather than a full one.
 */
public final class NativeMemory {
    /** System property: resident growth in MB over the first checkpoint's before collections start (default {@value #DEFAULT_HEADROOM_MB}). */
    public static final String HEADROOM_PROPERTY = "squeeze.native.headroom.mb";
    static final long DEFAULT_HEADROOM_MB = 256;
    static final long MIN_INTERVAL_MS = 500;

    private static final long HEADROOM = Long.getLong(HEADROOM_PROPERTY, DEFAULT_HEADROOM_MB) << 20;
    private static long line = -1;
    private static long lastCollection;
    private static long collections;

    private NativeMemory() {}

    /** Asks for a garbage collection when resident memory is over the line and none was asked for lately; cheap otherwise. */
    public static void checkpoint() {
        long rss = Pointer.physicalBytes();
        long now = System.nanoTime();
        synchronized (NativeMemory.class) {
            if (line < 0) {
                line = rss + HEADROOM;
                lastCollection = now;
                return;
            }
            if (rss <= line || now - lastCollection < MIN_INTERVAL_MS * 1_000_000) return;
            lastCollection = now;
            collections++;
        }
        System.gc();
    }

    /** Collections {@link #checkpoint()} has asked for so far (for tests and benchmarks). */
    public static synchronized long collections() {
        return collections;
    }

    public static long headroomBytes() {
        return HEADROOM;
    }
}
