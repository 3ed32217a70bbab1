package dev.squeeze.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.squeeze.data.DataSplits;

import java.util.List;

/**
 * How a shipped or trained model was made and how good it is: written beside the model and inside
 * its zip, shown by {@code inspect}. Every figure here was measured by the run that wrote it.
 *
 * @param testAccuracy accuracy on the data's test split ({@code data.test} images, never trained on); null (and absent)
 *                     for a compressed model exported from data without labels
 * @param command      the exact command that reproduces the model
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelCard(String name, String architecture, String encoding, List<Integer> inputShape,
                        long params, long macs, Double testAccuracy, int testExamples,
                        DataSplits.Description data, long seed, int epochs, int batchSize,
                        double trainSeconds, String command, String squeezeVersion, String createdAt,
                        List<Double> epochTestAccuracy) {}
