package dev.squeeze.model.compress;

import dev.squeeze.data.Images;
import dev.squeeze.data.InputEncoding;
import dev.squeeze.model.Backend;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The teacher's output probabilities for every image of a fine-tune's train split, computed once on first use and
 * then read by every fine-tune of a search. A recovery runs thousands of steps over the same images, and without
 * feature distillation the teacher's only contribution to a step is its output for the batch: a forward pass per
 * step was a fifth of a recovery's time (the teacher is the uncompressed network, larger than any student).
 * Thread-safe; the probabilities are never written after they are computed.
 */
public final class TeacherOutputs {
    private static final int BATCH = 500;

    private final Model teacher;
    private final Images images;
    private final InputEncoding encoding;
    private INDArray probabilities; // [images, classes], guarded by this

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

    /** The teacher's probabilities for the images at {@code indices} of the split, a new array. */
    public INDArray rows(int[] indices) {
        return Nd4j.pullRows(probabilities(), 1, indices);
    }

    private synchronized INDArray probabilities() {
        if (probabilities != null) return probabilities;
        // a copy of its own: a DL4J network keeps each layer's input in a field, and callers' copies may be busy
        Model net = Networks.copyOf(teacher);
        INDArray all = null;
        for (int from = 0; from < images.count(); from += BATCH) {
            int to = Math.min(images.count(), from + BATCH);
            INDArray x = encoding.features(images, from, to);
            INDArray p = dev.squeeze.model.Accuracy.output(net, x);
            if (all == null) all = Nd4j.create(p.dataType(), images.count(), p.size(1));
            all.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to), org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(p);
            Backend.release(x, p);
        }
        Backend.release(net);
        return probabilities = all;
    }
}
