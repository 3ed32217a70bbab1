package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.Backend;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The teacher's output probabilities for the images of a fine-tune's train split, each computed on first use and then
 * read by every later fine-tune of a search. A recovery runs thousands of steps over the same images, and without
 * feature distillation the teacher's only contribution to a step is its output for the batch: a forward pass per
 * step was a fifth of a recovery's time (the teacher is the uncompressed network, larger than any student). Rows are
 * computed when a step first asks for them, not for the whole split up front: fine-tunes shorter than an epoch
 * never touch some images, and computing all 55,000 rows of the Fashion-MNIST train split took 70% of a 215-step
 * fine-tune of a heavily pruned plan (the teacher has nine times its student's MACs). Every fine-tune of a search
 * draws its batches in the same seeded order, so later ones find their rows computed.
 * Thread-safe; a row is never written after it is computed.
 */
public final class TeacherOutputs {
    private final Model teacher;
    private final Images images;
    private final InputEncoding encoding;
    private Model net;  // the teacher's own copy, made on first use; guarded by this
    private INDArray probabilities; // [images, classes], guarded by this
    private final java.util.BitSet computed = new java.util.BitSet(); // guarded by this

    /** @param teacher either kind of DL4J network */
    public TeacherOutputs(Model teacher, Images images, InputEncoding encoding) {
        this.teacher = teacher;
        this.images = images;
        this.encoding = encoding;
    }

    /** The split these are the outputs for. */
    public Images images() {
        return images;
    }

    /** Whether these are the outputs for {@code train} (the very split, not a copy of it). */
    public boolean isFor(Images train) {
        return train == images;
    }

    /** How many rows have been computed so far. */
    public synchronized int computedRows() {
        return computed.cardinality();
    }

    /** The teacher's probabilities for the images at {@code indices} of the split, a new array. */
    public synchronized INDArray rows(int[] indices) {
        int[] missing = java.util.Arrays.stream(indices).distinct().filter(i -> !computed.get(i)).toArray();
        if (missing.length > 0) compute(missing);
        return Nd4j.pullRows(probabilities, 1, indices);
    }

    private void compute(int[] missing) {
        // a copy of its own: a DL4J network keeps each layer's input in a field, and callers' copies may be busy
        if (net == null) net = Networks.copyOf(teacher);
        Images batch = images.subset(missing);
        INDArray x = encoding.features(batch, 0, batch.count());
        INDArray p = dev.squeeze.model.Accuracy.output(net, x);
        if (probabilities == null) probabilities = Nd4j.create(p.dataType(), images.count(), p.size(1));
        for (int r = 0; r < missing.length; r++) probabilities.putRow(missing[r], p.getRow(r));
        for (int i : missing) computed.set(i);
        Backend.release(x, p);
    }
}
