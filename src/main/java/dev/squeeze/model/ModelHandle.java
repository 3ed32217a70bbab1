package dev.squeeze.model;

import dev.squeeze.data.InputEncoding;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * A loaded network with what squeeze knows about it.
 *
 * @param name     built-in name or file name
 * @param source   where it was loaded from (path, or {@code built-in:NAME})
 * @param network  the DL4J network (a {@link MultiLayerNetwork} or {@link ComputationGraph})
 * @param card     how it was made, or null for a model squeeze did not train
 * @param encoding how images are fed to it
 */
public record ModelHandle(String name, String source, Model network, ModelCard card, LayerGraph graph,
                          InputEncoding encoding) {

    /**
     * What the model reads and gives in the data's terms: its input tensor (for the row-token encoding, the
     * {@code [1, 28, 28]} images it is made from) and its output layer's width.
     */
    public Signature signature() {
        if (graph.inputs().size() != 1 || graph.outputs().size() != 1) {
            throw new dev.squeeze.SqueezeException("model '" + name + "' has " + graph.inputs().size() + " inputs and " + graph.outputs().size()
                    + " outputs; squeeze reads classifiers with one of each");
        }
        var sample = encoding == InputEncoding.ROW_TOKENS ? InputEncoding.ROW_TOKEN_IMAGE
                : new dev.squeeze.data.SampleShape(graph.inputs().values().iterator().next().dims());
        return new Signature(sample, graph.outputs().get(0).outShape().features());
    }

    /**
     * Refuses, in one line, data this model cannot read: every split of {@code splits} has the test split's shape and
     * classes ({@code data.DataSources} checks that), so the test split stands for all.
     */
    public void checkReads(dev.squeeze.data.DataSplits splits) {
        signature().check(Signature.of(splits.test()), splits.description().testFrom());
    }

    /** A deep copy of the network, sharing nothing with it (for a thread of its own: DL4J layers keep their input in a field). */
    public Model copyOfNetwork() {
        if (network instanceof MultiLayerNetwork m) return m.clone();
        return ((ComputationGraph) network).clone();
    }

    public MultiLayerNetwork multiLayer() {
        if (network instanceof MultiLayerNetwork m) return m;
        throw new UnsupportedOperationException("model '" + name + "' is a ComputationGraph; this operation needs a MultiLayerNetwork");
    }
}
