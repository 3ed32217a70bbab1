package dev.squeeze.model.compress;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.HashMap;
import java.util.Map;

/** Name-based access to a DL4J network's layers, since squeeze speaks in layer names. */
final class Networks {
    private Networks() {}

    static Map<String, Integer> indexByName(MultiLayerNetwork net) {
        var confs = net.getLayerWiseConfigurations().getConfs();
        var index = new HashMap<String, Integer>();
        for (int i = 0; i < confs.size(); i++) index.put(confs.get(i).getLayer().getLayerName(), i);
        return index;
    }

    /** A deep copy that shares nothing with {@code net} (parameters, configuration, updater state). */
    static MultiLayerNetwork copy(MultiLayerNetwork net) {
        return net.clone();
    }
}
