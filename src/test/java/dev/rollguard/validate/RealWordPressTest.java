package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The yardstick for false positives: Debian's real WordPress tree (unpacked by .ci/run from the `wordpress`
 * package) must give no finding at all; the seed's one-character typo in it must give exactly the two errors.
 */
class RealWordPressTest {
    static Path wordpress() {
        String env = System.getenv("ROLLGUARD_WORDPRESS_DIR");
        Path dir = env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache/rollguard/wordpress");
        return Files.isRegularFile(dir.resolve("wp-settings.php")) ? dir : null;
    }

    @Test
    void realWordPressIsCleanAndTheTypoIsCaught() {
        Path dir = wordpress();
        assumeTrue(dir != null, "no real WordPress tree (set ROLLGUARD_WORDPRESS_DIR; .ci/run prepares one)");
        List<String> skipped = new ArrayList<>();
        ConfigTree tree = TreeLoader.load(dir, new Limits(32L << 20, 100_000, 1L << 32), skipped);
        assertThat(tree.size()).isGreaterThan(1000);
        ValidationReport clean = Validation.builtIn().run(tree, null, null);
        assertThat(clean.findings()).as("false positives on real WordPress").isEmpty();

        String settings = tree.content("wp-settings.php");
        String broken = settings.replaceFirst("/plugin\\.php'", "/plugin.phpp'");
        assertThat(broken).isNotEqualTo(settings);
        ValidationReport typo = Validation.builtIn().run(tree.with(Map.of("wp-settings.php", broken)), null, null);
        assertThat(typo.findings()).extracting(Finding::rule).containsExactly("missing-reference", "suspicious-token");
        assertThat(typo.findings()).allSatisfy(f -> {
            assertThat(f.path()).isEqualTo("wp-settings.php");
            assertThat(f.severity()).isEqualTo(Severity.ERROR);
        });
        assertThat(typo.findings().get(0).suggestion()).isEqualTo("did you mean 'wp-includes/plugin.php'?");
        assertThat(typo.findings().get(1).suggestion()).isEqualTo("did you mean '.php'?");
    }
}
