package io.raid5d.daemon.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The daemon manages arrays through {@code core.array.ManagedArray} (issue #14): it never names
 * the engine's class, nor the engine's inner packages (stripe cache, sweeps, member set).
 */
class EngineSeamTest {
    private static final JavaClasses DAEMON = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.raid5d.daemon");

    @Test
    void theDaemonDoesNotReachBehindManagedArray() {
        noClasses().that().resideInAPackage("io.raid5d.daemon..")
                .should().dependOnClassesThat().haveFullyQualifiedName("io.raid5d.core.array.Raid5Array")
                .orShould().dependOnClassesThat().resideInAnyPackage("io.raid5d.core.stripe..", "io.raid5d.core.resync..")
                .check(DAEMON);
    }
}
