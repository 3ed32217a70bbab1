package dev.squeeze.evaluators.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import dev.squeeze.ConfigFiles;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The files a search offers its workers, by SHA-256: the model zip and the images its rungs measure on. Workers fetch
 * them in {@link Chunk}s through the cluster's {@value Members#FETCH} executor on the search's own member, so nothing
 * but the cluster's connection is needed, and a worker that has a blob already (its {@link BlobStore}) asks for nothing.
 */
final class BlobShelf {
    /** The shelf's key in the search member's user context, where {@link Fetch} finds it. */
    static final String CONTEXT = "squeeze.blobs";

    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();

    /** Offers {@code bytes}; returns their SHA-256. */
    String offer(byte[] bytes) {
        String sha = ConfigFiles.sha256(bytes);
        blobs.putIfAbsent(sha, bytes);
        return sha;
    }

    /** One piece of a blob, and the blob's whole length ({@code total} is -1 when the shelf has no such blob). */
    record Chunk(byte[] data, long total) implements Serializable {}

    /** Asks the search's member for {@code length} bytes of blob {@code sha} from {@code offset}. */
    static final class Fetch implements Callable<Chunk>, Serializable, HazelcastInstanceAware {
        private static final long serialVersionUID = 1L;
        private final String sha;
        private final long offset;
        private final int length;
        private transient HazelcastInstance hz;

        Fetch(String sha, long offset, int length) {
            this.sha = sha;
            this.offset = offset;
            this.length = length;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            this.hz = hz;
        }

        @Override
        public Chunk call() {
            Object shelf = hz.getUserContext().get(CONTEXT);
            byte[] blob = shelf instanceof BlobShelf s ? s.blobs.get(sha) : null;
            if (blob == null || offset < 0 || offset > blob.length) return new Chunk(new byte[0], -1);
            int end = (int) Math.min(blob.length, offset + (long) length);
            return new Chunk(Arrays.copyOfRange(blob, (int) offset, end), blob.length);
        }
    }
}
