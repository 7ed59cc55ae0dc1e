package dev.rollguard.validate;

import dev.rollguard.Processes;
import dev.rollguard.config.ConfigTree;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rollguard.validate.Trees.files;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real php and apache2 binaries (installed by .ci/run); skipped only where they are absent. */
class ExternalValidatorsTest {
    @Test
    void phpLintFindsParseErrorsWithLine() {
        assumeTrue(Processes.which("php").isPresent(), "php is not installed");
        List<Finding> f = Trees.run(new PhpLintValidator(), files("ok.php", "<?php\necho 1;\n", "bad.php", "<?php\n\necho 'x'\necho 2;\n"));
        assertThat(f).singleElement().satisfies(x -> {
            assertThat(x.path()).isEqualTo("bad.php");
            assertThat(x.line()).isEqualTo(4);
            assertThat(x.message()).contains("syntax error");
        });
    }

    @Test
    void phpLintOnlyLooksAtChangedFilesAndSaysWhenSkipped() {
        ConfigTree parent = ConfigTree.of(files("a.php", "<?php\necho 'x'\necho 2;\n"));
        ConfigTree tree = ConfigTree.of(files("a.php", "<?php\necho 'x'\necho 2;\n", "b.php", "<?php\necho 1;\n"));
        try (ValidationInput in = new ValidationInput(tree, parent, null)) {
            assertThat(in.changedPaths()).containsExactly("b.php");
        }
        try (ValidationInput in = new ValidationInput(tree, null, null)) {
            assertThat(new PhpLintValidator(Optional.empty()).validate(in)).isEmpty();
            assertThat(in.notices()).singleElement().asString().contains("php-lint skipped");
        }
    }

    @Test
    void apacheConfigTest() {
        assumeTrue(Processes.which("apache2", "httpd").isPresent(), "apache2 is not installed");
        String good = "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\nServerName localhost\nListen 127.0.0.1:18081\nPidFile ${APACHE_PID_FILE}\nErrorLog /dev/null\n";
        assertThat(Trees.run(new ApacheConfigValidator(), files("apache2.conf", good))).isEmpty();
        List<Finding> f = Trees.run(new ApacheConfigValidator(), files("apache2.conf", good + "RewriteEngin On\n"));
        assertThat(f).singleElement().satisfies(x -> {
            assertThat(x.path()).isEqualTo("apache2.conf");
            assertThat(x.line()).isEqualTo(6);
            assertThat(x.message()).contains("RewriteEngin");
        });
    }

    @Test
    void customCommandFindingsWithAndWithoutLocations() {
        var settings = new ValidationSettings(null, false, true, null, List.of(
                new ValidationSettings.CommandSpec("no-todo", List.of("sh", "-c",
                        "grep -Hn TODO *.conf | sed 's/^\\([^:]*\\):\\([0-9]*\\):/\\1:\\2: TODO left/' ; ! grep -q TODO *.conf"), 10, null),
                new ValidationSettings.CommandSpec("always-fails", List.of("sh", "-c", "echo broken; exit 3"), 10, Severity.WARNING),
                new ValidationSettings.CommandSpec("passes", List.of("true"), 10, null),
                new ValidationSettings.CommandSpec("sleeps", List.of("sh", "-c", "sleep 30"), 1, null)), null, null);
        List<Finding> f = Trees.run(new CommandValidator(), files("a.conf", "x\nTODO\n"), settings);
        assertThat(f).extracting(Finding::rule).containsExactly("command:no-todo", "command:always-fails", "command:sleeps");
        assertThat(f.get(0).path()).isEqualTo("a.conf");
        assertThat(f.get(0).line()).isEqualTo(2);
        assertThat(f.get(1).severity()).isEqualTo(Severity.WARNING);
        assertThat(f.get(1).message()).contains("exited with 3", "broken");
        assertThat(f.get(2).message()).contains("timed out");
    }

    @Test
    void riskRulesLookAtChangedLinesOnly() {
        var rules = List.of(new ValidationSettings.RiskRule("db", "**.php", "DB_(PASSWORD|HOST)", "database credentials"),
                new ValidationSettings.RiskRule("listen", "*.conf", "^\\s*Listen", null));
        var settings = new ValidationSettings(null, false, true, null, null, rules, null);
        ConfigTree v1 = ConfigTree.of(Map.of("wp-config.php", "<?php\ndefine('DB_HOST', 'a');\n", "ports.conf", "Listen 80\n"));
        ConfigTree v2 = ConfigTree.of(Map.of("wp-config.php", "<?php\ndefine('DB_HOST', 'a');\n// hi\n", "ports.conf", "Listen 80\n"));
        ConfigTree v3 = ConfigTree.of(Map.of("wp-config.php", "<?php\ndefine('DB_HOST', 'b');\n// hi\n", "ports.conf", "Listen 80\n"));
        try (ValidationInput in = new ValidationInput(v2, v1, settings)) {
            assertThat(RiskRules.reasons(in)).isEmpty();
        }
        try (ValidationInput in = new ValidationInput(v3, v2, settings)) {
            assertThat(RiskRules.reasons(in)).singleElement().asString().contains("db: wp-config.php:2", "database credentials");
        }
    }
}
