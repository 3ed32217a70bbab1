package dev.squeeze.evaluators.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.IExecutorService;
import dev.squeeze.ConfigFiles;
import dev.squeeze.SqueezeException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A worker's copies of the blobs searches offered it, one file per SHA-256 in a folder, so a restarted worker fetches
 * nothing it already has. Each fetched blob is checked against its hash before it is kept.
 */
final class BlobStore {
    /** Bytes per fetch: well under Hazelcast's message limits, few round trips for a model of megabytes. */
    static final int CHUNK = 4 << 20;

    private final Path dir;
    private final Set<String> verified = ConcurrentHashMap.newKeySet();

    BlobStore(Path dir) {
        this.dir = dir;
    }

    /** The blob's bytes, from the folder or else fetched from {@code from} (the search that named it). */
    byte[] get(String sha, String what, Member from, IExecutorService fetch, Consumer<String> log) {
        Path file = dir.resolve(sha);
        try {
            if (Files.isRegularFile(file)) {
                byte[] bytes = Files.readAllBytes(file);
                if (verified.contains(sha) || ConfigFiles.sha256(bytes).equals(sha)) {
                    verified.add(sha);
                    return bytes;
                }
                Files.delete(file); // damaged: fetch it again
            }
            long start = System.nanoTime();
            byte[] bytes = fetch(sha, what, from, fetch);
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, sha, ".part");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(bytes);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            verified.add(sha);
            log.accept(String.format("fetched %s (%.1f MB) from %s in %.1f s", what, bytes.length / 1e6, Members.address(from),
                    (System.nanoTime() - start) / 1e9));
            return bytes;
        } catch (IOException e) {
            throw new SqueezeException("cannot keep " + what + " in " + dir + ": " + e.getMessage() + " (give the worker a writable --store)");
        }
    }

    private static byte[] fetch(String sha, String what, Member from, IExecutorService fetch) {
        var out = new java.io.ByteArrayOutputStream();
        long total;
        do {
            BlobShelf.Chunk c;
            try {
                c = fetch.submitToMember(new BlobShelf.Fetch(sha, out.size(), CHUNK), from).get(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SqueezeException("interrupted while fetching " + what);
            } catch (ExecutionException | TimeoutException e) {
                throw new SqueezeException("cannot fetch " + what + " from " + Members.address(from) + ": " + Members.oneLine(e));
            }
            if (c.total() < 0) throw new SqueezeException(Members.address(from) + " no longer offers " + what + " (" + sha.substring(0, 12) + ")");
            total = c.total();
            out.write(c.data(), 0, c.data().length);
            if (c.data().length == 0 && out.size() < total) throw new SqueezeException("fetching " + what + " from " + Members.address(from) + " stalled");
        } while (out.size() < total);
        byte[] bytes = out.toByteArray();
        if (!ConfigFiles.sha256(bytes).equals(sha)) {
            throw new SqueezeException(what + " fetched from " + Members.address(from) + " does not match its hash " + sha.substring(0, 12));
        }
        return bytes;
    }
}
