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
