package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.Backend;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Map;

/**
 * Re-estimates every batch norm's running mean and variance on unlabelled images, in place. Pruning a layer's input
 * channels shifts the distribution of its output, and the batch norm after it still normalises with the statistics of
 * the unpruned network: fashion-resnet with half of every group pruned reads 0.10 (chance) as pruned. One inference
 * pass in topological order sets each batch norm from the input it sees, after every batch norm before it has been
 * re-estimated, which is what a fine-tune's first steps would settle on. No labels and no gradient: cheap enough to
 * run before a pruned plan is measured.
 */
public final class BatchNormRecalibration {
    private BatchNormRecalibration() {}

    /** Sets the batch norms of {@code net} from {@code images} (all of them, one batch). */
    public static void apply(Model net, Images images, InputEncoding encoding) {
        Map<String, Layer> layers = Networks.layersByName(net);
        INDArray x = encoding.features(images, 0, images.count());
        INDArray out = Inference.run(net, Topology.of(net), Map.of(), x, (name, in) -> {
            Layer layer = layers.get(name);
            if (layer == null || !(layer.conf().getLayer() instanceof BatchNormalization bn)) return;
            int[] axes = in.rank() != 4 ? new int[]{0} // every axis but the channels'
                    : bn.getCnn2DFormat() == CNN2DFormat.NHWC ? new int[]{0, 1, 2} : new int[]{0, 2, 3};
            INDArray mean = in.mean(axes).reshape(1, -1);
            INDArray var = in.var(false, axes).reshape(1, -1);
            assign(layer, "mean", mean);
            if (bn.isUseLogStd()) { // DL4J keeps log10(std) and adds eps to std^2 when it runs, as with a stored variance
                INDArray log10std = Transforms.log(Transforms.sqrt(Transforms.max(var, 1e-12), true), 10, true);
                assign(layer, "log10stdev", log10std);
                Backend.release(log10std);
            } else {
                assign(layer, "var", var);
            }
            Backend.release(mean, var);
        }, (name, a) -> a);
        Backend.release(x, out);
    }

    private static void assign(Layer layer, String key, INDArray value) {
        INDArray p = layer.getParam(key);
        p.assign(value.reshape(p.shape()).castTo(p.dataType()));
    }
}
