package dev.squeeze.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendTest {
    @Test
    void oneDnnConvolutionHelperIsActive() {
        Backend.init();
        var net = Architecture.CNN.build(1, 10);
        net.output(Architecture.CNN.encoding().features(TestData.splits().calibration(), 0, 4));
        assertTrue(Backend.convHelperActive(net),
                "DL4J's oneDNN conv helper is not active: check the org.nd4j.nativeblas.Nd4jCpu shim and "
                        + Backend.HELPERS_PROPERTY + "=false (3-5x slower without it)");
    }
}
