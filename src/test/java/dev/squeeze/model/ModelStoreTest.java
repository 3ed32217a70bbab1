package dev.squeeze.model;

import dev.squeeze.SqueezeException;
import dev.squeeze.data.SampleShape;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Models squeeze did not train: a plain DL4J zip, without squeeze's card, takes its input shape from the data. */
class ModelStoreTest {
    @TempDir
    Path dir;

    private Path plainZip(Model net, String name) throws Exception {
        Path zip = dir.resolve(name + ".zip");
        ModelSerializer.writeModel(net, zip.toFile(), false);
        return zip;
    }

    @Test
    void aCardlessConvNetReadsTheDataShapeAndRefusesOneItCannotRead() throws Exception {
        Model net = Architecture.RESNET.build(new Signature(SampleShape.of(3, 16, 16), 4), 1, 10, 1);
        Path zip = plainZip(net, "plain-resnet");

        var noData = assertThrows(SqueezeException.class, () -> ModelStore.load(zip.toString()));
        assertTrue(noData.getMessage().contains("input shape is unknown") && noData.getMessage().contains("--data"), noData.getMessage());

        ModelHandle m = ModelStore.load(zip.toString(), () -> SampleShape.of(3, 16, 16));
        assertNull(m.card());
        assertEquals(new Signature(SampleShape.of(3, 16, 16), 4), m.signature());
        LayerGraph built = Dl4jGraphs.of("plain-resnet", net, TensorShape.of(3, 16, 16));
        assertEquals(built.nodes(), m.graph().nodes(), "read at the data's shape, as the network was built");
        assertEquals(built.groups(), m.graph().groups());

        var grey = assertThrows(SqueezeException.class, () -> ModelStore.load(zip.toString(), () -> SampleShape.of(1, 16, 16)));
        assertTrue(grey.getMessage().contains("reads 3 input channels") && grey.getMessage().contains("[1, 16, 16]"), grey.getMessage());
    }

    @Test
    void aCardlessDenseNetNeedsNoData() throws Exception {
        Path zip = plainZip(Architecture.MLP.build(new Signature(SampleShape.of(20), 3), 1, 10, 1), "plain-mlp");
        assertEquals(new Signature(SampleShape.of(20), 3), ModelStore.load(zip.toString()).signature());
        var wrong = assertThrows(SqueezeException.class, () -> ModelStore.load(zip.toString(), () -> SampleShape.of(21)));
        assertTrue(wrong.getMessage().contains("reads 20 input features"), wrong.getMessage());
    }
}
