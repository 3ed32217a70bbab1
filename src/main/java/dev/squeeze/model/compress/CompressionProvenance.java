package dev.squeeze.model.compress;

import dev.squeeze.LibraryVersions;
import dev.squeeze.data.DataSplits;

import java.time.Instant;
import java.util.Map;

/**
 * How a compressed model was made (after Tribuo's provenance): the model it came from and that file's hash, the data
 * splits, how units were ranked and activations calibrated, the fine-tune (null when none ran), the versions of squeeze
 * and its libraries, when, and the command that repeats it. {@code apply} and {@code export} write it beside their model.
 */
public record CompressionProvenance(String model, String modelSha256, DataSplits.Description data, String importance, String calibration,
                                    FineTuner.Settings finetune, Map<String, String> versions, String madeAt, String command) {
    public CompressionProvenance {
        versions = Map.copyOf(versions);
    }

    public static CompressionProvenance of(String model, String modelSha256, DataSplits.Description data, Compressor.Options options,
                                           FineTuner.Settings finetune, String command) {
        return new CompressionProvenance(model, modelSha256, data, options.importance().label(), options.calibration().label(), finetune,
                LibraryVersions.all(), Instant.now().toString(), command);
    }
}
