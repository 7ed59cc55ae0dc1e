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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Each daemon's own checker on its Debian package's config tree as shipped (the daemon corpus, {@code daemons.txt}):
 * silent on the tree as shipped, and a misspelled directive found at its file and line (on a push, where the parent is known). CI installs the daemons
 * (.ci/run) and sets ROLLGUARD_REQUIRE_CORPUS, so a missing package or program fails instead of skipping.
 *
 * <p>The daemons whose package does not ship its config as a tree (postfix's main.cf, MariaDB's my.cnf alternative and
 * php-fpm's conf.d links are laid out by the maintainer scripts; units live among hundreds of others) are checked on
 * the config as the installed package laid it out on this machine (bin/test installs them), the same way.
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

    /** A checker, the installed config directory it reads (units: the files taken, each as "system/name"), and a typo. */
    record Case(String checker, String dir, List<String> units, String path, String from, String to) {
        @Override
        public String toString() { return checker + ": " + path + " '" + from + "' -> '" + to + "'"; }
    }

    static List<Case> cases() {
        return List.of(
                new Case("postfix", "/etc/postfix", List.of(), "main.cf", "smtpd_banner", "smtpd_baner"),
                new Case("php-fpm", "/etc/php/8.2/fpm", List.of(), "pool.d/www.conf", "pm.max_children =", "pm.max_childern ="),
                new Case("fail2ban", "/etc/fail2ban", List.of(), "jail.conf", "banaction = iptables-multiport\n", "banaction = iptables-multiprt\n"),
                new Case("mariadb", "/etc/mysql", List.of(), "mariadb.conf.d/50-server.cnf", "bind-address", "bind-adress"),
                new Case("systemd", "/lib/systemd/system", List.of("php8.2-fpm.service", "mariadb.service", "postfix@.service"),
                        "system/php8.2-fpm.service", "Type=notify", "Type=notfy"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void silentAsInstalledAndASeededTypoIsFoundAtItsLine(Case c) throws IOException {
        boolean required = System.getenv("ROLLGUARD_REQUIRE_CORPUS") != null;
        Path dir = Path.of(c.dir());
        if (required) assertThat(dir).as(c.checker() + "'s package installed (bin/test)").isDirectory();
        else assumeTrue(Files.isDirectory(dir), c.dir() + " is not here (bin/test installs the package)");
        assertThat(sandbox.available()).as("bubblewrap works here: %s", sandbox.unavailableReason()).isTrue();
        ConfigTree tree = c.units().isEmpty() ? AccuracyBenchmark.load(dir) : units(dir, c.units());
        ValidationSettings declared = ValidationSettings.DEFAULT.withDaemons(List.of(new ValidationSettings.DaemonRef(c.checker(), null)));
        DaemonConfigValidator v = new DaemonConfigValidator(sandbox);

        List<Finding> shipped = run(v, tree, null, declared);
        if (!required) assumeTrue(shipped.stream().noneMatch(f -> f.message().contains("is not installed")), c.checker() + " not installed");
        // warnings may remain (a unit's helper the sandbox cannot see); no error
        assertThat(shipped).as(c.checker() + " as installed").noneMatch(f -> f.severity() == FindingSeverity.ERROR);

        String content = tree.content(c.path());
        int at = content.indexOf(c.from());
        assertThat(at).as(c.from() + " in " + c.path()).isGreaterThanOrEqualTo(0);
        int line = (int) content.substring(0, at).chars().filter(ch -> ch == '\n').count() + 1;
        ConfigTree mutated = tree.with(Map.of(c.path(), content.substring(0, at) + c.to() + content.substring(at + c.from().length())));
        assertThat(run(v, mutated, tree, declared)).as(c.toString()).anySatisfy(f -> {
            assertThat(f.severity()).isEqualTo(FindingSeverity.ERROR);
            assertThat(f.path()).isEqualTo(c.path());
            assertThat(f.line()).isBetween(line - 1, line + 1);
        });
    }

    private static ConfigTree units(Path dir, List<String> names) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        for (String n : names) files.put("system/" + n, Files.readString(dir.resolve(n)));
        return ConfigTree.of(files);
    }

    private static List<Finding> run(DaemonConfigValidator v, ConfigTree tree, ConfigTree parent, ValidationSettings settings) {
        try (ValidationInput in = new ValidationInput(tree, parent, settings)) {
            return v.validate(in);
        }
    }
}
