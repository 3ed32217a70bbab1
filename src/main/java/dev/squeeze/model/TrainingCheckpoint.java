package dev.squeeze.model;

import dev.squeeze.Json;
import dev.squeeze.SqueezeException;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * What {@code squeeze train} keeps beside its output after every epoch ({@code NAME.checkpoint.zip}, the network with
 * its updater state, and {@code NAME.checkpoint.json}, this record), so that a run stopped by a crash, a signal or a
 * machine's restart continues from its last finished epoch with {@code --resume} instead of from scratch. Both files
 * go once the model is written.
 *
 * @param run               the run the checkpoint belongs to: a resume must ask for the same one
 * @param epochsDone        finished epochs
 * @param epochTestAccuracy test accuracy after each finished epoch
 * @param seconds           training time so far
 * @param graph             the network is a {@code ComputationGraph} (else a {@code MultiLayerNetwork})
 */
public record TrainingCheckpoint(Run run, int epochsDone, List<Double> epochTestAccuracy, double seconds, boolean graph) {
    /** Everything that decides the trained weights; a checkpoint resumes only the run it was written by. */
    public record Run(String architecture, int epochs, int batch, long seed, String data) {}

    public TrainingCheckpoint {
        epochTestAccuracy = List.copyOf(epochTestAccuracy);
    }

    public static Path networkFile(Path out) {
        return ModelStore.besides(out, ".checkpoint.zip");
    }

    public static Path stateFile(Path out) {
        return ModelStore.besides(out, ".checkpoint.json");
    }

    /** Writes the network and then the state, each by rename, so a stop mid-write leaves the previous checkpoint whole. */
    public void save(Model network, Path out) {
        try {
            Path dir = out.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            Path net = networkFile(out), state = stateFile(out);
            Path netTmp = net.resolveSibling(net.getFileName() + ".tmp"), stateTmp = state.resolveSibling(state.getFileName() + ".tmp");
            ModelSerializer.writeModel(network, netTmp.toFile(), true);
            Files.move(netTmp, net, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(stateTmp, Json.write(this), StandardCharsets.UTF_8);
            Files.move(stateTmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SqueezeException("cannot write the training checkpoint beside " + out + ": " + e.getMessage()
                    + " (check the folder is writable and has space)");
        }
    }

    /** The checkpoint beside {@code out}, if any. */
    public static Optional<TrainingCheckpoint> find(Path out) {
        Path state = stateFile(out);
        if (!Files.isRegularFile(state) || !Files.isRegularFile(networkFile(out))) return Optional.empty();
        try {
            return Optional.of(Json.json().readValue(Files.readString(state), TrainingCheckpoint.class));
        } catch (IOException e) {
            throw new SqueezeException(state + ": not a readable training checkpoint (" + e.getMessage()
                    + "); delete it and " + networkFile(out).getFileName() + " to train from scratch");
        }
    }

    /** The checkpointed network, with the updater state (Adam's moments, the step count its schedule reads) it was saved with. */
    public Model network(Path out) {
        try {
            return graph ? ModelSerializer.restoreComputationGraph(networkFile(out).toFile(), true)
                    : ModelSerializer.restoreMultiLayerNetwork(networkFile(out).toFile(), true);
        } catch (IOException | RuntimeException e) {
            throw new SqueezeException(networkFile(out) + ": not a readable DL4J checkpoint (" + e.getMessage()
                    + "); delete it and " + stateFile(out).getFileName() + " to train from scratch");
        }
    }

    /** Removes both files (the run finished, or starts again from scratch). */
    public static void delete(Path out) {
        try {
            Files.deleteIfExists(networkFile(out));
            Files.deleteIfExists(stateFile(out));
        } catch (IOException e) {
            throw new SqueezeException("cannot remove the training checkpoint beside " + out + ": " + e.getMessage());
        }
    }
}
