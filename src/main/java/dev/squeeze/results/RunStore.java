package dev.squeeze.results;

import dev.squeeze.Json;
import dev.squeeze.SqueezeException;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One run's folder: {@code run.yaml}, {@code provenance.json}, {@code trials.jsonl} (one line per trial,
 * flushed as each finishes, so a kill loses at most the trials in flight), {@code checkpoints/}, and the
 * front. Files that are rewritten (front, checkpoints) are written to a temporary file and moved into place.
 */
public final class RunStore implements AutoCloseable {
    public static final String TRIALS = "trials.jsonl";

    private final Path dir;
    private BufferedWriter trials;

    private RunStore(Path dir) {
        this.dir = dir;
    }

    /** A new run folder; refuses to reuse an existing one (use {@link #resume}). */
    public static RunStore create(Path dir) {
        if (Files.exists(dir)) {
            throw new SqueezeException("run folder " + dir + " already exists: continue it with --resume " + dir + " or pick another --run-id");
        }
        try {
            Files.createDirectories(dir.resolve("checkpoints"));
        } catch (IOException e) {
            throw new SqueezeException("cannot create run folder " + dir + ": " + e.getMessage());
        }
        return new RunStore(dir);
    }

    /** An existing run folder, to continue or to read. */
    public static RunStore open(Path dir) {
        if (!Files.isRegularFile(dir.resolve(TRIALS)) && !Files.isRegularFile(dir.resolve("run.yaml"))) {
            throw new SqueezeException("no run at " + dir + ": " + existingRuns(dir.getParent()));
        }
        return new RunStore(dir);
    }

    /** "runs here: a, b, c" for error messages. */
    public static String existingRuns(Path resultsDir) {
        if (resultsDir == null || !Files.isDirectory(resultsDir)) return "no runs exist yet";
        try (Stream<Path> s = Files.list(resultsDir)) {
            List<String> runs = s.filter(p -> Files.isRegularFile(p.resolve("run.yaml"))).map(p -> p.getFileName().toString()).sorted().toList();
            return runs.isEmpty() ? "no runs in " + resultsDir : "runs in " + resultsDir + ": " + String.join(", ", runs);
        } catch (IOException e) {
            return "cannot list " + resultsDir;
        }
    }

    public Path dir() {
        return dir;
    }

    public void writeYaml(String file, Object value) {
        try {
            writeAtomically(file, Json.yaml().writeValueAsString(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void writeJson(String file, Object value) {
        writeAtomically(file, Json.write(value) + "\n");
    }

    public void writeText(String file, String text) {
        writeAtomically(file, text);
    }

    private void writeAtomically(String file, String text) {
        try {
            Path target = dir.resolve(file);
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SqueezeException("cannot write " + dir.resolve(file) + ": " + e.getMessage());
        }
    }

    /** Appends one trial and flushes it to the operating system before returning. */
    public synchronized void append(Trial t) {
        try {
            if (trials == null) {
                trials = Files.newBufferedWriter(dir.resolve(TRIALS), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            trials.write(Json.line(t));
            trials.newLine();
            trials.flush();
        } catch (IOException e) {
            throw new SqueezeException("cannot append to " + dir.resolve(TRIALS) + ": " + e.getMessage());
        }
    }

    /** What reading trials.jsonl found: the trials, and a note about a partial last line if there was one. */
    public record TrialsRead(List<Trial> trials, String skipped) {}

    /** Reads trials.jsonl; a partial last line (a kill mid-write) is skipped and named, never fatal. */
    public TrialsRead readTrials() {
        Path file = dir.resolve(TRIALS);
        if (!Files.exists(file)) return new TrialsRead(List.of(), null);
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            var out = new ArrayList<Trial>();
            String skipped = null;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank()) continue;
                try {
                    out.add(Json.json().readValue(line, Trial.class));
                } catch (IOException e) {
                    if (i < lines.size() - 1) {
                        throw new SqueezeException(file + ":" + (i + 1) + " is not a trial record (" + e.getMessage().lines().findFirst().orElse("") + ")");
                    }
                    skipped = file + ":" + (i + 1) + " (partial last line, " + line.length() + " bytes) skipped";
                }
            }
            return new TrialsRead(out, skipped);
        } catch (IOException e) {
            throw new SqueezeException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Rewrites trials.jsonl without a partial last line, so appends continue on a clean line. */
    public void rewriteTrials(List<Trial> trials) {
        var sb = new StringBuilder();
        for (Trial t : trials) sb.append(Json.line(t)).append('\n');
        writeAtomically(TRIALS, sb.toString());
    }

    @Override
    public synchronized void close() {
        if (trials != null) {
            try {
                trials.close();
            } catch (IOException ignored) {
                // the data was flushed line by line; nothing is lost
            }
            trials = null;
        }
    }
}
