package dev.rollguard.validate;

import dev.rollguard.Parts;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The yardstick for false positives: Debian's real WordPress tree as shipped (unpacked by .ci/run from the
 * `wordpress` package, images and symlinks to /etc and /usr/share included) must give no finding at all; the seed's
 * one-character typo in it must give exactly the two errors.
 */
class RealWordPressTest {
    /** The tree as .ci/run unpacks it; an older cache (made with its links deleted) is not the tree as shipped. */
    static Path wordpress() {
        String env = System.getenv("ROLLGUARD_WORDPRESS_DIR");
        Path dir = env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache/rollguard/wordpress-as-shipped");
        return Files.isRegularFile(dir.resolve("wp-settings.php")) ? dir : null;
    }

    @Test
    void realWordPressAsShippedIsCleanAndTheTypoIsCaught() {
        Path dir = wordpress();
        Parts.need("WORDPRESS", dir != null, "no real WordPress tree (set ROLLGUARD_WORDPRESS_DIR; .ci/run prepares one)");
        TreeLoader.Scan scan = TreeLoader.scan(dir, Limits.DEFAULT);
        assertThat(scan.skipped()).isEmpty();
        ConfigTree tree = scan.tree();
        assertThat(tree.size()).isGreaterThan(1000);
        assertThat(tree.links()).as("Debian's links (a cache made with them deleted is stale: re-run .ci/run)")
                .containsEntry(".htaccess", "/etc/wordpress/htaccess")
                .containsEntry("wp-includes/js/underscore.js", "../../../javascript/underscore/underscore.js");
        assertThat(tree.entry("wp-admin/images/resize.gif")).isInstanceOfSatisfying(TreeEntry.File.class,
                f -> assertThat(f.binary()).isTrue());
        assertThat(((TreeEntry.File) tree.entry("wp-includes/js/dist/block-editor.js")).size()).isGreaterThan(2_000_000);
        ValidationReport clean = Validation.builtIn().run(tree, null, null);
        assertThat(clean.findings()).as("false positives on real WordPress").isEmpty();
        assertThat(clean.notices()).anySatisfy(n -> assertThat(n)
                .contains("symlink .htaccess -> /etc/wordpress/htaccess points outside the tree"));

        String settings = tree.content("wp-settings.php");
        String broken = settings.replaceFirst("/plugin\\.php'", "/plugin.phpp'");
        assertThat(broken).isNotEqualTo(settings);
        ValidationReport typo = Validation.builtIn().run(tree.with(Map.of("wp-settings.php", broken)), null, null);
        assertThat(typo.findings()).extracting(Finding::rule).containsExactly("missing-reference", "suspicious-token");
        assertThat(typo.findings()).allSatisfy(f -> {
            assertThat(f.path()).isEqualTo("wp-settings.php");
            assertThat(f.severity()).isEqualTo(FindingSeverity.ERROR);
        });
        assertThat(typo.findings().get(0).suggestion()).isEqualTo("did you mean 'wp-includes/plugin.php'?");
        assertThat(typo.findings().get(1).suggestion()).isEqualTo("did you mean '.php'?");
    }
}
