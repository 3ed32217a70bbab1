package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.LayerGraph;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * A network after a plan: physically pruned, weights fake-quantised in place of the floats, and activation
 * quantisers that {@link #output} applies between layers. Keeps the scales and zero points, because export
 * writes them. The network belongs to this object: read it, don't modify it, and {@link #close} it when done
 * (a search makes thousands: their native buffers are freed at once, not whenever a garbage collection comes).
 *
 * @param network     the pruned network with quantised weights (a {@code MultiLayerNetwork} or a {@code ComputationGraph})
 * @param graph       its layer graph (the original graph pruned by the plan)
 * @param plan        the plan applied
 * @param pruning     the kept units of every pruned group, in the original network's numbering
 * @param weights     layer -> weight key -> how it was quantised (only quantised weights appear)
 * @param activations DL4J layer after whose output a quantiser sits -> quantiser; under the network's input name, the grid
 *                    its input lies on exactly ({@link Deployment#gridOf}), which the simulation need not apply
 * @param kernels     where the deployed kernels compute differently from a float network with fake quantisers
 */
public record CompressedModel(Model network, LayerGraph graph, CompressionPlan plan, UnitSelection pruning,
                              Map<String, Map<String, WeightQuant>> weights, Map<String, ActivationQuant> activations, Kernels kernels)
        implements AutoCloseable {
    public CompressedModel {
        weights = Map.copyOf(weights);
        activations = Map.copyOf(activations);
    }

    /**
     * The deployed kernels' own arithmetic ({@link Deployment}), applied by {@link #output}.
     *
     * @param inputs      DL4J layer whose input the kernel quantises itself (MatMulNBits) -> that quantiser
     * @param requantised DL4J layer whose output an integer kernel requantises -> how (in place of its {@link ActivationQuant})
     */
    public record Kernels(Map<String, BlockInputQuant> inputs, Map<String, IntegerRequant> requantised) {
        public static final Kernels NONE = new Kernels(Map.of(), Map.of());

        public Kernels {
            inputs = Map.copyOf(inputs);
            requantised = Map.copyOf(requantised);
        }
    }

    /** An uncompressed model: no quantiser anywhere. */
    public static CompressedModel uncompressed(Model network, LayerGraph graph) {
        return new CompressedModel(network, graph, CompressionPlan.none(), UnitSelection.NONE, Map.of(), Map.of(), Kernels.NONE);
    }

    /**
     * Stored size in MB (10^6 bytes): quantised weights at their bits plus a 4-byte scale per output channel,
     * fp16 weights at 2 bytes, everything else (biases, normalisation) at 4 bytes.
     */
    public double sizeMb() {
        double bytes = 0;
        for (var e : Networks.layersByName(network).entrySet()) {
            var quant = weights.getOrDefault(e.getKey(), Map.of());
            for (var p : e.getValue().paramTable().entrySet()) {
                WeightQuant q = quant.get(p.getKey());
                long n = p.getValue().length();
                bytes += q == null ? 4.0 * n : q.bits() == 16 ? 2.0 * n : n * q.bits() / 8.0 + 4.0 * q.scales().length;
            }
        }
        return bytes / 1e6;
    }

    /**
     * The card of this model as made from {@code original}: the original's architecture, input and encoding; this
     * model's params, MACs and measured test accuracy.
     */
    public dev.squeeze.model.ModelCard card(dev.squeeze.model.ModelHandle original, String name, Double testAccuracy, int testImages,
                                            dev.squeeze.data.DataSplits.Description data, long seed, int batchSize, String command) {
        var from = original.card();
        return new dev.squeeze.model.ModelCard(name, from == null ? null : from.architecture(), original.encoding().name(),
                from == null ? original.graph().inputs().values().iterator().next().dims() : from.inputShape(), graph.params(), graph.macs(), testAccuracy, testImages, data, seed, 0, batchSize, 0,
                command, dev.squeeze.Version.squeeze(), java.time.Instant.now().toString(), java.util.List.of());
    }

    /** Frees the network's native buffers; the model is unusable afterwards. */
    @Override
    public void close() {
        dev.squeeze.model.Backend.release(network);
    }

    /** Class probabilities, with every quantiser applied where the deployed model applies it ({@link Deployment}). */
    public INDArray output(INDArray features) {
        Topology topology = Topology.of(network);
        boolean quantised = activations.keySet().stream().anyMatch(k -> !k.equals(topology.input()));
        if (!quantised && kernels.inputs().isEmpty()) return dev.squeeze.model.Accuracy.output(network, features);
        return Inference.run(network, topology, kernels.inputs(), features, (layer, a) -> {
            IntegerRequant r = kernels.requantised().get(layer);
            if (r != null) return r.apply(a);
            ActivationQuant q = activations.get(layer);
            return q == null ? a : q.apply(a);
        });
    }

    public int[] predict(INDArray features) {
        return dev.squeeze.model.Accuracy.classes(output(features));
    }

    public double accuracy(Images images, InputEncoding encoding) {
        return dev.squeeze.model.Accuracy.of(images, encoding, this::predict);
    }
}
