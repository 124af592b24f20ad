package io.raid5d.core.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * raid5-core's packages depend one way (issue #14): assembly builds arrays; the array (facade,
 * lifecycle, member changes) drives the stripe engine and the sweeps; those use the write-intent
 * log; below are the on-disk formats and the building blocks. No package cycles.
 */
class PackageLayersTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.raid5d.core");

    @Test
    void noPackageCycles() {
        slices().matching("io.raid5d.core.(*)..").should().beFreeOfCycles().check(CORE);
    }

    /** The engine sees only the engine-facing half of the write-intent log; lifecycle and switching are the array's. */
    @Test
    void theEngineUsesOnlyTheEngineFacingWriteIntent() {
        noClasses().that().resideInAPackage("io.raid5d.core.stripe..")
                .should().dependOnClassesThat().haveFullyQualifiedName("io.raid5d.core.intent.WriteIntentLog")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.raid5d.core.intent.SwitchableWriteIntentLog")
                .check(CORE);
    }

    @Test
    void layersPointDown() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("assembly").definedBy("io.raid5d.core.assembly..")
                .layer("array").definedBy("io.raid5d.core.array..")
                .layer("grow").definedBy("io.raid5d.core.grow..")
                .layer("engine").definedBy("io.raid5d.core.stripe..", "io.raid5d.core.resync..")
                .layer("intent").definedBy("io.raid5d.core.intent..")
                .layer("bitmapstore").definedBy("io.raid5d.core.bitmapstore..")
                .layer("format").definedBy("io.raid5d.core.superblock..")
                .layer("blocks").definedBy("io.raid5d.core.member..", "io.raid5d.core.geometry..",
                        "io.raid5d.core.parity..")
                .whereLayer("assembly").mayNotBeAccessedByAnyLayer()
                .whereLayer("array").mayOnlyBeAccessedByLayers("assembly")
                .whereLayer("grow").mayOnlyBeAccessedByLayers("array", "assembly")
                .whereLayer("engine").mayOnlyBeAccessedByLayers("array", "assembly", "grow")
                .whereLayer("intent").mayOnlyBeAccessedByLayers("engine", "array", "assembly")
                .whereLayer("bitmapstore").mayOnlyBeAccessedByLayers("intent", "array", "assembly")
                .whereLayer("format").mayOnlyBeAccessedByLayers("bitmapstore", "intent", "engine", "grow", "array", "assembly")
                .check(CORE);
    }
}
