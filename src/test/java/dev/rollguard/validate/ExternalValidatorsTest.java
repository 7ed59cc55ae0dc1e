package dev.rollguard.validate;

import dev.rollguard.Parts;
import dev.rollguard.Processes;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Sandbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.rollguard.validate.Trees.files;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** Real php, apache2 and nginx binaries (installed by .ci/run), really run in the real sandbox (bubblewrap). */
class ExternalValidatorsTest {
    static Sandbox sandbox;

    @BeforeAll
    static void sandbox() {
        sandbox = Sandbox.detect();
    }

    /** Skipped where bubblewrap cannot run, failed where bin/test promised it (ROLLGUARD_REQUIRE_SANDBOX). */
    static void needSandbox() {
        Parts.need("SANDBOX", sandbox.available(), "bubblewrap cannot run here: " + sandbox.unavailableReason());
    }

    @AfterAll
    static void close() {
        sandbox.close();
    }

    static List<Finding> run(Validator v, Map<String, String> files) {
        return Trees.run(v, files);
    }

    @Test
    void phpLintFindsParseAndCompileErrorsWithLineAsPhpLDoes() {
        needSandbox();
        Parts.need("PHP", Processes.which("php").isPresent(), "php is not installed (apt-get install php-cli)");
        try (PhpLintValidator lint = new PhpLintValidator(sandbox, PhpLintCache.inMemory(100))) {
            List<Finding> f = run(lint, files("ok.php", "<?php\necho 1;\n", "bad.php", "<?php\n\necho 'x'\necho 2;\n",
                    "dup.php", "<?php\nfunction f() {}\nfunction f() {}\n", "brk.php", "<?php\n\nbreak 2;\n",
                    // the same function in two files is fine for php -l (it never loads them together)
                    "a.php", "<?php\nfunction shared() { return 1; }\n", "b.php", "<?php\nfunction shared() { return 2; }\n",
                    "inc.php", "<?php\ninclude '/etc/passwd';\necho file_get_contents('/etc/hostname');\n",
                    // short tags off, as Debian's php.ini has them: an XML prolog is not PHP
                    "feed.php", "<?xml version=\"1.0\"?>\n<rss><?php echo 1; ?></rss>\n"));
            assertThat(f).extracting(Finding::path, Finding::line).containsExactlyInAnyOrder(
                    tuple("bad.php", 4), tuple("dup.php", 3),
                    tuple("brk.php", 3));
            assertThat(f).filteredOn(x -> x.path().equals("bad.php")).singleElement().extracting(Finding::message).asString()
                    .contains("Parse error", "syntax error");
            assertThat(f).filteredOn(x -> x.path().equals("dup.php")).singleElement().extracting(Finding::message).asString()
                    .contains("Cannot redeclare f()", "dup.php:2").doesNotContain("/scratch");
        }
    }

    @Test
    void aBraceDeletedIsPlacedAtTheChangedLineWhenTheParentCompiled() {
        needSandbox();
        Parts.need("PHP", Processes.which("php").isPresent(), "php is not installed (apt-get install php-cli)");
        StringBuilder body = new StringBuilder("<?php\n");
        for (int i = 0; i < 20; i++) body.append("function f").append(i).append("($x) {\n    if ($x) {\n        return ").append(i).append(";\n    }\n    return 0;\n}\n");
        String before = body.toString();
        // the '}' closing f4's if, on line 2 + 4 * 6 + 3 = 29: php -l reports the end of the file
        String[] lines = before.split("\n", -1);
        assertThat(lines[28]).isEqualTo("    }");
        lines[28] = "";
        String after = String.join("\n", lines);
        ConfigTree parent = ConfigTree.of(files("lib.php", before));
        try (PhpLintValidator lint = new PhpLintValidator(sandbox, PhpLintCache.inMemory(10))) {
            try (ValidationInput alone = new ValidationInput(ConfigTree.of(files("lib.php", after)), null, null)) {
                assertThat(lint.validate(alone)).singleElement().extracting(Finding::line).isEqualTo(lines.length);
            }
            try (ValidationInput push = new ValidationInput(ConfigTree.of(files("lib.php", after)), parent, null)) {
                assertThat(lint.validate(push)).singleElement().satisfies(f -> {
                    assertThat(f.line()).isEqualTo(29);
                    assertThat(f.message()).contains("Unclosed", "the parser stopped at line " + lines.length);
                });
            }
        }
    }

    @Test
    void phpLintCachesByContentAndOnlyLooksAtChangedFiles() throws IOException {
        needSandbox();
        Parts.need("PHP", Processes.which("php").isPresent(), "php is not installed (apt-get install php-cli)");
        ConfigTree parent = ConfigTree.of(files("a.php", "<?php\necho 'x'\necho 2;\n"));
        ConfigTree tree = ConfigTree.of(files("a.php", "<?php\necho 'x'\necho 2;\n", "b.php", "<?php\necho 1\n"));
        Path dir = Files.createTempDirectory("phplint-cache-");
        try (ValidationInput in = new ValidationInput(tree, parent, null)) {
            assertThat(in.changedPaths()).containsExactly("b.php");
            try (PhpLintValidator lint = new PhpLintValidator(sandbox, PhpLintCache.onDisk(dir))) {
                assertThat(lint.validate(in)).singleElement().extracting(Finding::path).isEqualTo("b.php");
            }
        }
        // what the next run answers from without running php
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.toList()).singleElement().satisfies(f -> assertThat(Files.readString(f)).contains("\t3\tParse error"));
        }
    }

    @Test
    void withoutTheSandboxFoundChecksAreSkippedWithANoticeAndDeclaredOnesBlock() {
        Sandbox none = Sandbox.unavailable("bubblewrap (bwrap) is not installed");
        ConfigTree tree = ConfigTree.of(files("a.php", "<?php\necho 'x'\necho 2;\n", "apache2.conf", "Bogus\n"));
        var declared = CommandValidators.of(List.of(new ValidationSettings.CommandSpec("touch", List.of("sh", "-c", "exit 1"), 5, null)));
        // nothing declared: php -l and Apache's config test, found by file name, are skipped with a notice each
        try (ValidationInput in = new ValidationInput(tree, null, ValidationSettings.DEFAULT);
             PhpLintValidator lint = new PhpLintValidator(none, PhpLintCache.inMemory(10))) {
            assertThat(lint.validate(in)).isEmpty();
            assertThat(new ApacheConfigValidator(none).validate(in)).isEmpty();
            assertThat(in.notices()).hasSize(2).allSatisfy(n -> assertThat(n).contains("sandbox-unavailable", "bubblewrap"));
        }
        // the spec declares a command validator and its Apache main config: neither can run, so the version is refused,
        // through the very validation the server runs on a push (its errors are the push's 422 validation_failed)
        var settings = new ValidationSettings(null, false, false, "apache2.conf", List.of(ValidationSettings.CommandRef.named("touch")), null, null);
        ValidationReport report = Validation.standard(none, declared, false, PhpLintCache.inMemory(10)).run(tree, null, settings);
        assertThat(report.releasable()).isFalse();
        assertThat(report.findings()).filteredOn(f -> f.severity() == FindingSeverity.ERROR)
                .extracting(Finding::rule).contains("command:touch", ApacheConfigValidator.RULE);
        assertThat(report.findings()).filteredOn(f -> f.rule().equals("command:touch")).singleElement()
                .satisfies(f -> assertThat(f.message()).contains("was not run", "sandbox-unavailable", "bubblewrap"));
    }

    @Test
    void apacheConfigTestLocatesATypo() {
        needSandbox();
        Parts.need("APACHE", Processes.which("apache2", "httpd").isPresent(), "apache2 is not installed");
        String good = "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\nServerName localhost\nListen 127.0.0.1:18081\nPidFile ${APACHE_PID_FILE}\nErrorLog /dev/null\n";
        ApacheConfigValidator apache = new ApacheConfigValidator(sandbox);
        assertThat(run(apache, files("apache2.conf", good))).isEmpty();
        assertThat(run(apache, files("apache2.conf", good + "RewriteEngin On\n"))).singleElement().satisfies(x -> {
            assertThat(x.path()).isEqualTo("apache2.conf");
            assertThat(x.line()).isEqualTo(6);
            assertThat(x.message()).contains("RewriteEngin");
        });
    }

    @Test
    void debiansStockApacheTreeIsCleanAndATypoInItIsLocated() throws IOException {
        needSandbox();
        Parts.need("APACHE", Files.isRegularFile(Path.of("/etc/apache2/apache2.conf")), "apache2 is not installed");
        Map<String, String> stock = readWhole(Path.of("/etc/apache2"));
        ApacheConfigValidator apache = new ApacheConfigValidator(sandbox);
        assertThat(run(apache, stock)).as("Debian's /etc/apache2 as installed").isEmpty();
        Map<String, String> typo = new TreeMap<>(stock);
        typo.put("conf-available/security.conf", stock.get("conf-available/security.conf") + "ServerTokenz Prod\n");
        typo.put("conf-enabled/security.conf", typo.get("conf-available/security.conf"));
        int line = (int) typo.get("conf-available/security.conf").lines().count();
        assertThat(run(apache, typo)).singleElement().satisfies(x -> {
            assertThat(x.path()).isIn("conf-enabled/security.conf", "conf-available/security.conf");
            assertThat(x.line()).isEqualTo(line);
            assertThat(x.message()).contains("ServerTokenz");
        });
    }

    /**
     * Issue 25 (Lows): with deployPath /etc, apache2 -t always failed ("bwrap: Can't create file at /etc/group": the tree
     * mounted read only at /etc could not take the sandbox's passwd and group) and the masker, stripping "/etc/" from
     * every path, printed "at group". Debian's /etc/apache2 as installed, as the apache2/ directory of a tree deployed
     * at /etc: clean; a typo located in the tree's terms; a path outside the tree named whole.
     */
    @Test
    void debiansApacheTreeDeployedAtEtcIsTestedAsOnTheHost() throws IOException {
        needSandbox();
        Parts.need("APACHE", Files.isRegularFile(Path.of("/etc/apache2/apache2.conf")), "apache2 is not installed");
        Map<String, String> etc = new TreeMap<>();
        readWhole(Path.of("/etc/apache2")).forEach((path, content) -> etc.put("apache2/" + path, content));
        var settings = new ValidationSettings("/etc", false, false, "apache2/apache2.conf", List.of(), null, null);
        ApacheConfigValidator apache = new ApacheConfigValidator(sandbox);
        assertThat(Trees.run(apache, etc, settings)).as("Debian's /etc/apache2 as installed, deployed at /etc").isEmpty();

        Map<String, String> typo = new TreeMap<>(etc);
        typo.put("apache2/ports.conf", etc.get("apache2/ports.conf") + "Lissten 8080\n");
        int line = (int) typo.get("apache2/ports.conf").lines().count();
        assertThat(Trees.run(apache, typo, settings)).singleElement().satisfies(x -> {
            assertThat(x.path()).isEqualTo("apache2/ports.conf");
            assertThat(x.line()).isEqualTo(line);
            assertThat(x.message()).contains("Lissten");
        });

        Map<String, String> outside = new TreeMap<>(etc);
        outside.put("apache2/ports.conf", etc.get("apache2/ports.conf") + "Include /etc/rollguard-not-in-the-tree.conf\n");
        assertThat(Trees.run(apache, outside, settings)).singleElement().satisfies(x -> {
            // apache names the Include of ports.conf in apache2.conf first
            assertThat(x.path()).isEqualTo("apache2/apache2.conf");
            assertThat(x.message()).contains("/etc/rollguard-not-in-the-tree.conf", "outside the tree");
        });
    }

    @Test
    void debiansStockNginxTreeIsCleanAndATypoInItIsLocated() throws IOException {
        needSandbox();
        Parts.need("NGINX", Processes.which("nginx").isPresent() && Files.isRegularFile(Path.of("/etc/nginx/nginx.conf")), "nginx is not installed");
        Map<String, String> stock = readWhole(Path.of("/etc/nginx"));
        NginxConfigValidator nginx = new NginxConfigValidator(sandbox);
        assertThat(run(nginx, stock)).as("Debian's /etc/nginx as installed").isEmpty();
        Map<String, String> typo = new TreeMap<>(stock);
        String site = stock.get("sites-enabled/default");
        typo.put("sites-enabled/default", site.replaceFirst("server_name _;", "server_nam _;"));
        List<String> lines = typo.get("sites-enabled/default").lines().toList();
        int line = 1 + lines.indexOf(lines.stream().filter(l -> l.contains("server_nam _;")).findFirst().orElseThrow());
        assertThat(run(nginx, typo)).singleElement().satisfies(x -> {
            assertThat(x.path()).isEqualTo("sites-enabled/default");
            assertThat(x.line()).isEqualTo(line);
            assertThat(x.message()).contains("server_nam");
        });
        // a '}' deleted: nginx stops at the end of nginx.conf; on a push (the parent passed) the edit's line is named
        List<String> siteLines = new ArrayList<>(site.lines().toList());
        int brace = siteLines.indexOf("\t}");
        assertThat(brace).as("a location's closing brace in sites-enabled/default").isPositive();
        siteLines.set(brace, "");
        Map<String, String> open = new TreeMap<>(stock);
        open.put("sites-enabled/default", String.join("\n", siteLines) + "\n");
        try (ValidationInput push = new ValidationInput(ConfigTree.of(open), ConfigTree.of(stock), null)) {
            assertThat(nginx.validate(push)).singleElement().satisfies(x -> {
                assertThat(x.path()).isEqualTo("sites-enabled/default");
                assertThat(x.line()).isEqualTo(brace + 1);
                assertThat(x.message()).contains("the parser stopped at line");
            });
        }
    }

    @Test
    void commandValidatorsReportLocatedAndUnlocatedFindingsAndTimeOut() {
        needSandbox();
        var declared = CommandValidators.of(List.of(
                new ValidationSettings.CommandSpec("no-todo", List.of("sh", "-c",
                        "grep -Hn TODO *.conf | sed 's/^\\([^:]*\\):\\([0-9]*\\):/\\1:\\2: TODO left/' ; ! grep -q TODO *.conf"), 10, null),
                new ValidationSettings.CommandSpec("always-fails", List.of("sh", "-c", "echo broken; exit 3"), 10, FindingSeverity.WARNING),
                new ValidationSettings.CommandSpec("passes", List.of("true"), 10, null),
                new ValidationSettings.CommandSpec("sleeps", List.of("sh", "-c", "sleep 30"), 1, null)));
        var settings = new ValidationSettings(null, false, true, null, Stream.of("no-todo", "always-fails", "passes", "sleeps")
                .map(ValidationSettings.CommandRef::named).toList(), null, null);
        List<Finding> f = Trees.run(new CommandValidator(sandbox, declared, false), files("a.conf", "x\nTODO\n"), settings);
        assertThat(f).extracting(Finding::rule).containsExactly("command:no-todo", "command:always-fails", "command:sleeps");
        assertThat(f.get(0).path()).isEqualTo("a.conf");
        assertThat(f.get(0).line()).isEqualTo(2);
        assertThat(f.get(1).severity()).isEqualTo(FindingSeverity.WARNING);
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

    /**
     * A config tree as installed, every file (links read as the host resolves them: Debian's nginx links
     * sites-enabled/default to its absolute /etc/nginx path, which is the tree once mounted at /etc/nginx).
     */
    static Map<String, String> readWhole(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) files.put(root.relativize(p).toString(), Files.readString(p));
        }
        return files;
    }
}
