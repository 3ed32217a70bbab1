package dev.squeeze;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package layering docs/ARCHITECTURE.md describes, held as rules over squeeze's compiled classes (tests excluded).
 * From the bottom: the root package (errors, YAML, progress) and data; model (graphs, ops, DL4J networks) and
 * model.compress; onnx (writing and running ONNX); hardware, spaces, results; evaluators; search and export; bench;
 * cli on top.
 */
class ArchitectureTest {
    private static JavaClasses squeeze;

    @BeforeAll
    static void importClasses() {
        squeeze = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.squeeze");
    }

    /** Packages form a hierarchy: a cycle would mean neither can be understood, tested or replaced alone. */
    @Test
    void noPackageCycles() {
        slices().matching("dev.squeeze.(**)").should().beFreeOfCycles().check(squeeze);
    }

    /** The genetic algorithm is the search's business alone: everything else speaks of plans, not genes. */
    @Test
    void onlySearchImportsJenetics() {
        noClasses().that().resideOutsideOfPackage("dev.squeeze.search..")
                .should().dependOnClassesThat().resideInAPackage("io.jenetics..")
                .because("genotypes are an implementation detail of the search").check(squeeze);
    }

    /** The model is what everything else reads: it must not know who reads it. */
    @Test
    void modelDependsOnNothingAboveIt() {
        noClasses().that().resideInAPackage("dev.squeeze.model..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.squeeze.search..", "dev.squeeze.evaluators..",
                        "dev.squeeze.results..", "dev.squeeze.export..", "dev.squeeze.cli..", "dev.squeeze.onnx..",
                        "dev.squeeze.hardware..", "dev.squeeze.bench..")
                .check(squeeze);
    }

    /** ONNX writing and running sit below the evaluators, the export and the hardware calibration that use them. */
    @Test
    void onnxSitsBelowItsUsers() {
        noClasses().that().resideInAPackage("dev.squeeze.onnx..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.squeeze.evaluators..", "dev.squeeze.export..",
                        "dev.squeeze.hardware..", "dev.squeeze.search..", "dev.squeeze.cli..", "dev.squeeze.bench..")
                .check(squeeze);
    }

    /** Nothing but the command line (and the launcher's main) reaches into cli, and cli holds only commands and their I/O. */
    @Test
    void cliIsTheTopAndHoldsCommandsOnly() {
        noClasses().that().resideOutsideOfPackage("dev.squeeze.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.squeeze.cli..").check(squeeze);
        ArchRule commandsOnly = classes().that().resideInAPackage("dev.squeeze.cli..").and().areTopLevelClasses()
                .should().haveSimpleNameEndingWith("Command").orShould().haveSimpleNameEndingWith("Options")
                .orShould().haveSimpleNameEndingWith("Option").orShould().haveSimpleName("Main")
                .orShould().haveSimpleName("TerminalProgress").orShould().haveSimpleName("Tables")
                .orShould().haveSimpleName("CostTables").orShould().haveSimpleName("StopSignals")
                .orShould().haveSimpleName("GraphSource")
                .because("a command parses, builds a typed request, calls one service and prints; logic lives below");
        commandsOnly.check(squeeze);
    }

    /** Benchmarks are one package that nothing else depends on. */
    @Test
    void benchmarksAreALeaf() {
        noClasses().that().resideOutsideOfPackages("dev.squeeze.bench..", "dev.squeeze.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.squeeze.bench..").check(squeeze);
    }

    /** The root package is the bottom: shared errors, YAML and JSON, progress, stop requests. */
    @Test
    void rootPackageDependsOnNoSubpackage() {
        noClasses().that().resideInAPackage("dev.squeeze")
                .should().dependOnClassesThat().resideInAPackage("dev.squeeze.(*)..").check(squeeze);
    }
}
