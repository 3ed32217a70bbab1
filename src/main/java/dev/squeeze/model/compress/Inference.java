package dev.squeeze.model.compress;

import dev.squeeze.model.Backend;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * A forward pass in inference mode through either kind of network, node by node in {@link Topology} order, with a hook
 * after every node: what the simulation of a deployed model ({@link CompressedModel#output}) and calibration need.
 */
final class Inference {
    private Inference() {}

    /**
     * Each layer named in {@code inputs} reads its input through that quantiser; {@code after} sees each node's output by
     * name and returns what its readers read. Returns the output layer's (hooked) output.
     */
    static INDArray run(Model net, Topology t, Map<String, BlockInputQuant> inputs, INDArray x, BiFunction<String, INDArray, INDArray> after) {
        return run(net, t, inputs, x, (name, in) -> { }, after);
    }

    /** As above, and {@code before} sees each layer's input (as it reads it) before the layer runs, so it may change the layer. */
    static INDArray run(Model net, Topology t, Map<String, BlockInputQuant> inputs, INDArray x, java.util.function.BiConsumer<String, INDArray> before,
                        BiFunction<String, INDArray, INDArray> after) {
        var mgr = LayerWorkspaceMgr.noWorkspaces();
        Map<String, Layer> layers = Networks.layersByName(net);
        var values = new HashMap<String, INDArray>();
        var unread = new HashMap<String, Integer>(); // readers yet to read each value
        values.put(t.input(), x);
        unread.put(t.input(), t.readers(t.input()).size());
        for (Topology.Node n : t.nodes()) {
            var temporaries = new ArrayList<INDArray>();
            INDArray computed;
            if (n.isLayer()) {
                INDArray in = values.get(n.input());
                INDArray pre = n.preprocessor() == null ? in : n.preprocessor().preProcess(in, (int) in.size(0), mgr);
                BlockInputQuant q = inputs.get(n.name());
                INDArray read = q == null ? pre : q.apply(pre);
                before.accept(n.name(), read);
                computed = layers.get(n.name()).activate(read, false, mgr);
                temporaries.addAll(List.of(pre, read));
            } else {
                computed = Topology.merge(n, n.inputs().stream().map(values::get).toList());
            }
            INDArray out = after.apply(n.name(), computed);
            temporaries.add(computed);
            values.put(n.name(), out);
            unread.put(n.name(), t.readers(n.name()).size());
            // a pass over a few hundred images leaves tens of MB per layer: each value is freed once its last reader has read it
            for (String in : n.inputs()) {
                if (unread.merge(in, -1, Integer::sum) == 0 && !in.equals(t.input())) temporaries.add(values.remove(in));
            }
            INDArray[] live = values.values().toArray(INDArray[]::new);
            for (INDArray done : temporaries) if (done != x) Backend.releaseUnlessShared(done, concat(live, x));
        }
        return values.get(t.output().name());
    }

    private static INDArray[] concat(INDArray[] live, INDArray x) {
        INDArray[] all = java.util.Arrays.copyOf(live, live.length + 1);
        all[live.length] = x;
        return all;
    }
}
