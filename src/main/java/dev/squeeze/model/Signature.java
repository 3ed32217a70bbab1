package dev.squeeze.model;

import dev.squeeze.SqueezeException;
import dev.squeeze.data.FashionMnist;
import dev.squeeze.data.Images;
import dev.squeeze.data.SampleShape;

/**
 * What a classifier reads and gives, in the data's terms: the shape of one sample as the data stores it ({@code [C, H,
 * W]} for images, {@code [D]} for rows of features) and the number of classes. A model and the data it is used with
 * must have the same signature; {@link #check} says so in one line before any work.
 *
 * @param classes 0 for data without labels (any model's class count then fits)
 */
public record Signature(SampleShape sample, int classes) {
    /** Fashion-MNIST's {@code [1, 28, 28]} grey images of 10 classes: what the shipped models read. */
    public static final Signature FASHION_MNIST = new Signature(FashionMnist.SHAPE, FashionMnist.CLASSES);

    public Signature {
        if (classes < 0) throw new IllegalArgumentException("classes must not be negative, got " + classes);
    }

    /** The signature of a split: its sample shape and class count (0 when unlabelled). */
    public static Signature of(Images images) {
        return new Signature(images.shape(), images.labelled() ? images.classes() : 0);
    }

    /**
     * Refuses data this model cannot read, naming both signatures and where the data came from:
     * "model expects [3, 32, 32] and 10 classes; data gives [1, 28, 28] and 10 classes (data/train)".
     *
     * @param where the split's file or folder
     */
    public void check(Signature data, String where) {
        boolean fits = sample.equals(data.sample) && (data.classes == 0 || data.classes == classes);
        if (!fits) {
            throw new SqueezeException("model expects " + this + "; data gives " + data + " (" + where + "): "
                    + "use data of the model's shape and classes (`squeeze inspect --data D`), or train a model for yours (`squeeze train --data D`)");
        }
    }

    /** {@code [3, 32, 32] and 10 classes}. */
    @Override
    public String toString() {
        return sample + " and " + (classes == 0 ? "no labels" : classes + " classes");
    }
}
