package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static dev.rollguard.validate.Trees.files;
import static org.assertj.core.api.Assertions.assertThat;

/** Where config tests mount a tree, and how their output becomes findings: pure functions, no sandbox needed. */
class ConfigTestTest {
    private static final Pattern APACHE = Pattern.compile("Syntax error on line (?<line>\\d+) of (?<file>[^:\\n]+):\\s*\\n?(?<msg>[^\\n]*)");

    @Test
    void mountPointFollowsDeployPathThenTheConventionalPlace() {
        assertThat(ConfigTest.mountPoint("apache2.conf", null, "/etc/apache2")).isEqualTo("/etc/apache2");
        assertThat(ConfigTest.mountPoint("apache2/apache2.conf", null, "/etc/apache2")).isEqualTo("/etc");
        assertThat(ConfigTest.mountPoint("etc/apache2/apache2.conf", null, "/etc/apache2")).isEqualTo(ConfigTest.FALLBACK_MOUNT);
        assertThat(ConfigTest.mountPoint("conf/httpd.conf", null, "/etc/apache2")).isEqualTo(ConfigTest.FALLBACK_MOUNT);
        assertThat(ConfigTest.mountPoint("nginx.conf", "/srv/nginx/", "/etc/nginx")).isEqualTo("/srv/nginx");
        // never on, above or below what the sandbox needs
        for (String bad : List.of("/", "/usr", "/usr/local/etc", "/var", "/run/x", "/tmp", "/etc/passwd", "/lib", "/a/../usr", "relative")) {
            assertThat(ConfigTest.mountPoint("apache2.conf", bad, "/etc/apache2")).as(bad).isEqualTo("/etc/apache2");
        }
    }

    @Test
    void outputOutsideTheTreeNamesNoContent() {
        ConfigTree tree = ConfigTree.of(files("apache2.conf", "x\n", "conf.d/a.conf", "y\n"));
        List<Finding> inTree = ConfigTest.findings("apache-configtest", "apache2 -t",
                "AH00526: Syntax error on line 7 of /etc/apache2/conf.d/a.conf:\nInvalid command 'Foo', perhaps misspelled\n",
                "/etc/apache2", tree, "apache2.conf", APACHE);
        assertThat(inTree).singleElement().satisfies(f -> {
            assertThat(f.path()).isEqualTo("conf.d/a.conf");
            assertThat(f.line()).isEqualTo(7);
            assertThat(f.message()).isEqualTo("apache2 -t: Invalid command 'Foo', perhaps misspelled");
        });
        List<Finding> outside = ConfigTest.findings("apache-configtest", "apache2 -t",
                "AH00526: Syntax error on line 1 of /usr/share/secret.txt:\nInvalid command 'the-first-line-of-a-file', perhaps misspelled\n",
                "/etc/apache2", tree, "apache2.conf", APACHE);
        assertThat(outside).singleElement().satisfies(f -> {
            assertThat(f.path()).isEqualTo("apache2.conf");
            assertThat(f.message()).contains("outside the tree").doesNotContain("the-first-line-of-a-file");
        });
        List<Finding> notOpened = ConfigTest.findings("apache-configtest", "apache2 -t",
                "AH00526: Syntax error on line 3 of /etc/apache2/apache2.conf:\nCould not open configuration file /etc/shadow: No such file or directory\n",
                "/etc/apache2", tree, "apache2.conf", APACHE);
        assertThat(notOpened).singleElement().extracting(Finding::message).asString()
                .endsWith("No such file or directory (outside the tree: the config test sees only the tree)");
    }

    /** Only the tree's own paths lose the mount point: at /etc the others are real places, named whole. */
    @Test
    void outputSpeaksOfTheTreesPathsAndNamesOthersWhole() {
        ConfigTree etc = ConfigTree.of(files("apache2/apache2.conf", "x\n", "apache2/ports.conf", "y\n", "mime.types", "z\n"));
        assertThat(ConfigTest.inTreeTerms("bwrap: Can't create file at /etc/group: Read-only file system", "/etc", etc))
                .isEqualTo("bwrap: Can't create file at /etc/group: Read-only file system");
        assertThat(ConfigTest.inTreeTerms("in /etc/apache2/ports.conf and /etc/mime.types, not /etc/apache2x or /etc/shadow", "/etc", etc))
                .isEqualTo("in apache2/ports.conf and mime.types, not /etc/apache2x or /etc/shadow");
        // any other mount is the tree's own directory
        ConfigTree flat = ConfigTree.of(files("httpd.conf", "x\n"));
        assertThat(ConfigTest.inTreeTerms("open " + ConfigTest.FALLBACK_MOUNT + "/conf/missing.conf", ConfigTest.FALLBACK_MOUNT, flat))
                .isEqualTo("open conf/missing.conf");
        assertThat(ConfigTest.inTreeTerms("open /etc/apache2/missing.conf", "/etc/apache2", flat)).isEqualTo("open missing.conf");
    }
}
