package dev.squeeze;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibraryVersionsTest {
    /** Every library's own version, as the build resolved it; before, the shaded jar answered squeeze's for Jenetics. */
    @Test
    void versionsAreTheLibrariesOwn() {
        var v = LibraryVersions.all();
        for (String lib : new String[]{"squeeze", "java", "jenetics", "dl4j", "nd4j", "jackson", "picocli", "onnxruntime"}) {
            assertTrue(v.containsKey(lib) && v.get(lib).matches("\\d.*"), lib + " in " + v);
            assertTrue(!v.get(lib).contains("${"), "unfiltered " + lib + ": " + v);
        }
        assertNotEquals(v.get("squeeze"), v.get("jenetics"));
        assertEquals(io.jenetics.Genotype.class.getPackage().getImplementationVersion(), v.get("jenetics"),
                "the test classpath has Jenetics' own jar and manifest: it must agree");
        assertEquals(v.get("squeeze"), Version.squeeze());
    }
}
