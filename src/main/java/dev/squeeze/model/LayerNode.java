package dev.squeeze.model;

import java.util.List;

/** One layer of a {@link LayerGraph}: its op, where its inputs come from, and its shapes. */
public record LayerNode(String name, LayerOp op, List<String> inputs, TensorShape inShape, TensorShape outShape) {
    public LayerNode {
        inputs = List.copyOf(inputs);
    }

    public String type() {
        return op.type();
    }

    public long params() {
        return op.params();
    }

    public long macs() {
        return op.macs(inShape, outShape);
    }
}
