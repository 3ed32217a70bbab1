package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.CompressionPlan;
import dev.squeeze.model.LayerGraph;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * A network after a plan: physically pruned, weights fake-quantised in place of the floats, and activation
 * quantisers that {@link #output} applies between layers. Keeps the scales and zero points, because export
 * writes them. The network belongs to this object: read it, don't modify it, and {@link #close} it when done
 * (a search makes thousands: their native buffers are freed at once, not whenever a garbage collection comes).
 *
 * @param network     the pruned network with quantised weights
 * @param graph       its layer graph (the original graph pruned by the plan)
 * @param plan        the plan applied
 * @param pruning     the kept units of every pruned group, in the original network's numbering
 * @param weights     layer -> weight key -> how it was quantised (only quantised weights appear)
 * @param activations DL4J layer after whose output a quantiser sits -> quantiser
 */
public record CompressedModel(MultiLayerNetwork network, LayerGraph graph, CompressionPlan plan, UnitSelection pruning,
                              Map<String, Map<String, WeightQuant>> weights, Map<String, ActivationQuant> activations)
        implements AutoCloseable {
    public CompressedModel {
        weights = Map.copyOf(weights);
        activations = Map.copyOf(activations);
    }

    /**
     * Stored size in MB (10^6 bytes): quantised weights at their bits plus a 4-byte scale per output channel,
     * fp16 weights at 2 bytes, everything else (biases, normalisation) at 4 bytes.
     */
    public double sizeMb() {
        double bytes = 0;
        var index = Networks.indexByName(network);
        for (var e : index.entrySet()) {
            var quant = weights.getOrDefault(e.getKey(), Map.of());
            for (var p : network.getLayer(e.getValue()).paramTable().entrySet()) {
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
    public dev.squeeze.model.ModelCard card(dev.squeeze.model.ModelHandle original, String name, double testAccuracy, int testImages,
                                            dev.squeeze.data.DataSplits.Description data, long seed, int batchSize, String command) {
        var from = original.card();
        return new dev.squeeze.model.ModelCard(name, from == null ? null : from.architecture(), original.encoding().name(),
                from == null ? null : from.inputShape(), graph.params(), graph.macs(), testAccuracy, testImages, data, seed, 0, batchSize, 0,
                command, dev.squeeze.Version.squeeze(), java.time.Instant.now().toString(), java.util.List.of());
    }

    /** Frees the network's native buffers; the model is unusable afterwards. */
    @Override
    public void close() {
        dev.squeeze.model.Backend.release(network);
    }

    /** Class probabilities, with every activation quantiser applied where a deployed model would apply it. */
    public INDArray output(INDArray features) {
        return forward(network, activations, features);
    }

    public int[] predict(INDArray features) {
        return dev.squeeze.model.Accuracy.classes(output(features));
    }

    public double accuracy(Images images, InputEncoding encoding) {
        return dev.squeeze.model.Accuracy.of(images, encoding, this::predict);
    }

    /** Layer by layer (inference mode), fake-quantising the outputs named in {@code quantisers}. */
    static INDArray forward(MultiLayerNetwork net, Map<String, ActivationQuant> quantisers, INDArray x) {
        if (quantisers.isEmpty()) return net.output(x, false);
        return forward(net, x, (layer, a) -> {
            ActivationQuant q = quantisers.get(layer);
            return q == null ? a : q.apply(a);
        });
    }

    /** Layer by layer in inference mode; {@code after} sees each layer's output by name and returns what the next layer reads. */
    static INDArray forward(MultiLayerNetwork net, INDArray x, java.util.function.BiFunction<String, INDArray, INDArray> after) {
        var mgr = LayerWorkspaceMgr.noWorkspaces();
        var conf = net.getLayerWiseConfigurations();
        Layer[] layers = net.getLayers();
        INDArray input = x;
        for (int i = 0; i < layers.length; i++) {
            InputPreProcessor pp = conf.getInputPreProcess(i);
            INDArray previous = x;
            if (pp != null) x = pp.preProcess(x, (int) x.size(0), mgr);
            INDArray activated = layers[i].activate(x, false, mgr);
            INDArray out = after.apply(conf.getConf(i).getLayer().getLayerName(), activated);
            // a pass over a few hundred images leaves tens of MB per layer: freed as soon as the next layer has read them
            dev.squeeze.model.Backend.releaseUnlessShared(activated, out, input);
            if (x != previous) dev.squeeze.model.Backend.releaseUnlessShared(x, out, input);
            dev.squeeze.model.Backend.releaseUnlessShared(previous, out, input);
            x = out;
        }
        return x;
    }
}
