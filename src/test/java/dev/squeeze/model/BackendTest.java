package dev.squeeze.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendTest {
    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"CNN", "RESNET", "MOBILENET"})
    void oneDnnConvolutionHelperIsActive(Architecture arch) {
        Backend.init();
        var net = arch.build(1, 10, 1);
        Accuracy.output(net, arch.encoding().features(TestData.splits().calibration(), 0, 4));
        assertTrue(Backend.convHelperActive(net),
                "DL4J's oneDNN conv helper is not active: check the org.nd4j.nativeblas.Nd4jCpu shim and "
                        + Backend.HELPERS_PROPERTY + "=false (3-5x slower without it)");
    }
}
