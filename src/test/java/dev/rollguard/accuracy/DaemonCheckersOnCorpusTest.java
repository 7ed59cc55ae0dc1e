package dev.rollguard.accuracy;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Sandbox;
import dev.rollguard.validate.DaemonConfigValidator;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.ValidationInput;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Each daemon's own checker on its Debian package's config tree as shipped (the daemon corpus, {@code daemons.txt}):
 * silent on the tree as shipped, and a misspelled directive found at its file and line (on a push, where the parent is known). CI installs the daemons
 * (.ci/run) and sets ROLLGUARD_REQUIRE_CORPUS, so a missing package or program fails instead of skipping.
 */
class DaemonCheckersOnCorpusTest {
    static Sandbox sandbox;

    @BeforeAll
    static void sandbox() {
        sandbox = Sandbox.detect();
    }

    @AfterAll
    static void close() {
        sandbox.close();
    }

    static List<Corpus.DaemonEntry> daemons() {
        return Corpus.daemons();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("daemons")
    void silentAsShippedAndAMisspelledDirectiveIsFoundAtItsLine(Corpus.DaemonEntry d) {
        Path dir = Corpus.tree(Corpus.directory(), d.entry());
        boolean required = System.getenv("ROLLGUARD_REQUIRE_CORPUS") != null;
        if (required) assertThat(dir).as(d.pkg() + " in the corpus (run .ci/corpus)").isNotNull();
        else assumeTrue(dir != null, d.pkg() + " is not in the corpus (run .ci/corpus)");
        assertThat(sandbox.available()).as("bubblewrap works here: %s", sandbox.unavailableReason()).isTrue();
        ConfigTree tree = AccuracyBenchmark.load(dir);
        ValidationSettings declared = ValidationSettings.DEFAULT.withDaemons(List.of(new ValidationSettings.DaemonRef(d.checker(), null)));
        DaemonConfigValidator v = new DaemonConfigValidator(sandbox);

        List<Finding> shipped = run(v, tree, null, declared);
        if (!required) assumeTrue(shipped.stream().noneMatch(f -> f.message().contains("is not installed")), d.checker() + " not installed");
        assertThat(shipped).as(d.pkg() + " as shipped").isEmpty();

        DaemonMutator.Mutant typo = DaemonMutator.mutants(DaemonMutator.Kind.DIRECTIVE, new DaemonMutator.Target(d, tree), 1, new Random(7))
                .get(0);
        // as a push checks it: the parent is known (lighttpd names the line after the misspelled variable's use)
        List<Finding> found = run(v, tree.with(Map.of(typo.path(), typo.content())), tree, declared);
        assertThat(found).as(typo.description()).anySatisfy(f -> {
            assertThat(f.severity()).isEqualTo(FindingSeverity.ERROR);
            assertThat(f.path()).isEqualTo(typo.path());
            assertThat(f.line()).isBetween(typo.line() - 1, typo.line() + 1);
        });
    }

    private static List<Finding> run(DaemonConfigValidator v, ConfigTree tree, ConfigTree parent, ValidationSettings settings) {
        try (ValidationInput in = new ValidationInput(tree, parent, settings)) {
            return v.validate(in);
        }
    }
}
