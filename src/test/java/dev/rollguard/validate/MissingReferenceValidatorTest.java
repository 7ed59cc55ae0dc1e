package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.ValidationSettings;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.rollguard.validate.Trees.files;
import static org.assertj.core.api.Assertions.assertThat;

class MissingReferenceValidatorTest {
    private final MissingReferenceValidator v = new MissingReferenceValidator();

    private static Map<String, String> wordpress(String settingsBody) {
        return files(
                "wp-load.php", "<?php\nif ( ! defined( 'ABSPATH' ) ) {\n\tdefine( 'ABSPATH', __DIR__ . '/' );\n}\n",
                "wp-config.php", "<?php\ndefine('ABSPATH', '/usr/share/wordpress/');\nrequire_once(ABSPATH . 'wp-settings.php');\n",
                "wp-settings.php", "<?php\ndefine( 'WPINC', 'wp-includes' );\n" + settingsBody,
                "wp-includes/plugin.php", "<?php\n",
                "wp-includes/version.php", "<?php\n",
                "wp-admin/admin.php", "<?php\nrequire_once dirname( __DIR__ ) . '/wp-load.php';\nrequire_once( dirname( __FILE__, 2 ) . '/wp-settings.php' );\n");
    }

    @Test
    void resolvesConcatenatedConstantsAndFindsTheSeedTypo() {
        List<Finding> f = Trees.run(v, wordpress("require ABSPATH . WPINC . '/version.php';\nrequire_once ABSPATH . WPINC . '/plugin.phpp';\n"));
        assertThat(f).hasSize(1);
        Finding typo = f.get(0);
        assertThat(typo.rule()).isEqualTo("missing-reference");
        assertThat(typo.severity()).isEqualTo(FindingSeverity.ERROR);
        assertThat(typo.path()).isEqualTo("wp-settings.php");
        assertThat(typo.line()).isEqualTo(4);
        assertThat(typo.column()).isEqualTo(1);
        assertThat(typo.message()).contains("'wp-includes/plugin.phpp'", "ABSPATH . WPINC . '/plugin.phpp'");
        assertThat(typo.suggestion()).isEqualTo("did you mean 'wp-includes/plugin.php'?");
        assertThat(typo.fix()).isEqualTo(new Fix("plugin.phpp", "plugin.php", "wp-settings.php", true));
    }

    @Test
    void cleanTreeHasNoFindings() {
        assertThat(Trees.run(v, wordpress("require ABSPATH . WPINC . '/version.php';\n"))).isEmpty();
    }

    @Test
    void ignoresCommentsStringsDynamicAndOptionalIncludes() {
        String body = """
                // require ABSPATH . 'commented.php';
                /* include ABSPATH . 'block-comment.php'; */
                # include 'hash-comment.php';
                $x = "<?php include(ABSPATH . 'in-a-string.php'); ?>";
                require $dynamic . '/x.php';
                @include ABSPATH . 'silenced.php';
                if ( file_exists( ABSPATH . 'drop-in.php' ) ) {
                    include ABSPATH . 'drop-in.php';
                }
                if ( defined( 'SUNRISE' ) ) {
                    include_once ABSPATH . 'sunrise.php';
                }
                require ABSPATH . 'runtime-dir/generated.php';
                require UNKNOWN_CONSTANT . '/x.php';
                """;
        assertThat(Trees.run(v, wordpress(body))).isEmpty();
    }

    @Test
    void conditionalNearMissIsStillReported() {
        String body = "if ( is_admin() ) {\n    require ABSPATH . WPINC . '/versoin.php';\n}\n";
        List<Finding> f = Trees.run(v, wordpress(body));
        assertThat(f).singleElement().satisfies(x -> assertThat(x.suggestion()).contains("wp-includes/version.php"));
    }

    @Test
    void relativeIncludesResolveAgainstRootOwnDirectoryAndIncludePath() {
        var tree = files("lib/a.php", "<?php\nrequire 'b.php';\nrequire 'lib/b.php';\ninclude 'nope.php';\nrequire_once 'PEAR.php';\n"
                        + "require_once 'Net/SMTP.php';\nrequire_once 'Net/SMPT.php';\n",
                "lib/b.php", "<?php\n",
                "vendor/pear/Net/SMTP.php", "<?php\n");
        // a relative path found nowhere in the tree is a system library (include_path); one a typo away from a file is not
        List<Finding> f = Trees.run(v, tree);
        assertThat(f).singleElement().satisfies(x -> {
            assertThat(x.line()).isEqualTo(7);
            assertThat(x.severity()).isEqualTo(FindingSeverity.ERROR);
            assertThat(x.suggestion()).isEqualTo("did you mean 'vendor/pear/Net/SMTP.php'?");
        });
    }

    @Test
    void baseNameNearMissBehindAPrefixWeCannotEvaluate() {
        var tree = files("index.php", "<?php\nrequire \"$IP/includes/Setup.php\";\nrequire $IP . '/includes/Defines.php';\n"
                        + "require $IP . '/includes/Defnies.php';\nrequire \"$IP/includes/Setpu.php\";\nrequire $IP . '/vendor/autoload.php';\n",
                "includes/Setup.php", "<?php\n",
                "includes/Defines.php", "<?php\n");
        assertThat(Trees.run(v, tree)).extracting(Finding::line, Finding::suggestion).containsExactlyInAnyOrder(
                Tuple.tuple(4, "did you mean 'includes/Defines.php'?"),
                Tuple.tuple(5, "did you mean 'includes/Setup.php'?"));
    }

    @Test
    void dotAndDotDotIncludesFollowTheWorkingDirectoryAndSuggestTheNearFile() {
        var tree = files("web/admin/index.php", "<?php\nrequire('../../server/core/functions/core.php');\n"
                        + "require('../../server/core/functions/cre.php');\nrequire './helpers.php';\nrequire './hepers.php';\n"
                        + "require '../lib/util.php';\nrequire '../../../outside/x.php';\nrequire './generated.php';\n",
                "web/admin/helpers.php", "<?php\n",
                "web/lib/util.php", "<?php\n",
                // reached from an entry script elsewhere: the working directory is not the including file's
                "server/core/functions/core.php", "<?php\nrequire './core/functions/strings.php';\n",
                "server/core/functions/strings.php", "<?php\n");
        // a path climbing out of the tree, or naming a file the tree has nothing near to (made at install), stays silent
        assertThat(Trees.run(v, tree)).extracting(Finding::line, Finding::suggestion, Finding::fix).containsExactlyInAnyOrder(
                Tuple.tuple(3, "did you mean 'server/core/functions/core.php'?", new Fix("cre.php", "core.php", "web/admin/index.php", true)),
                Tuple.tuple(5, "did you mean 'web/admin/helpers.php'?", new Fix("hepers.php", "helpers.php", "web/admin/index.php", true)));
    }

    @Test
    void aBareNameLivingInAnotherDirectoryIsSuggested() {
        var tree = files("maintenance/update.php", "<?php\nrequire_once \"Setup.php\";\nrequire_once \"Setp.php\";\nrequire_once 'Mail.php';\n",
                "includes/Setup.php", "<?php\n",
                "includes/Defines.php", "<?php\n",
                "a/Config.php", "<?php\n",
                "c/run.php", "<?php\nrequire 'Confg.php';\n",
                "b/Config.php", "<?php\n");
        // Confg.php is one edit from two files: which one was meant cannot be told
        assertThat(Trees.run(v, tree)).singleElement().satisfies(f -> {
            assertThat(f.path()).isEqualTo("maintenance/update.php");
            assertThat(f.line()).isEqualTo(3);
            assertThat(f.suggestion()).isEqualTo("did you mean 'includes/Setup.php'?");
        });
    }

    @Test
    void includePathDirectoriesFromCodeAndConfigAreSearchedForTheNearFile() {
        var tree = files("index.php", "<?php\ndefine('APP', __DIR__ . '/app');\n"
                        + "set_include_path(get_include_path() . PATH_SEPARATOR . __DIR__ . '/lib' . PATH_SEPARATOR . APP . '/models');\n"
                        + "require 'Form/Input.php';\nrequire 'Form/Inptu.php';\nrequire 'User.php';\nrequire 'Usr.php';\n",
                "lib/Form/Input.php", "<?php\n",
                "vendor/other/Form/Input.php", "<?php\n",
                "app/models/User.php", "<?php\n",
                "app/views/Usr.phtml", "<?php\n",
                "tools/run.php", "<?php\nini_set('include_path', '.:/usr/share/php:/usr/share/app/tools/inc');\nrequire 'Runer.php';\n",
                "tools/inc/Runner.php", "<?php\n",
                "tools/inc/Runners.php", "<?php\n",
                ".htaccess", "php_value include_path \".:/usr/share/app/conf\"\n",
                "conf/settings.inc.php", "<?php\n",
                "conf/main.php", "<?php\nrequire 'setings.inc.php';\n");
        // Form/Inptu.php is one edit from two Form/Input.php: the include_path says which; /usr/share/app is the
        // mount point the spec gives
        var settings = new ValidationSettings("/usr/share/app", false, true, null, null, null, null);
        assertThat(Trees.run(v, tree, settings)).extracting(Finding::path, Finding::line, Finding::suggestion).containsExactlyInAnyOrder(
                Tuple.tuple("index.php", 5, "did you mean 'lib/Form/Input.php'?"),
                Tuple.tuple("index.php", 7, "did you mean 'app/models/User.php'?"),
                Tuple.tuple("tools/run.php", 3, "did you mean 'tools/inc/Runner.php'?"),
                Tuple.tuple("conf/main.php", 2, "did you mean 'conf/settings.inc.php'?"));
    }

    @Test
    void includePathExpressionsAreSplitOnTheSeparatorAndUnknownPartsDropped() {
        Map<String, Set<String>> constants = Map.of("LIB", Set.of(PhpExpressions.ROOT + "/lib"));
        assertThat(PhpIncludePath.values("get_include_path() . PATH_SEPARATOR . LIB . PATH_SEPARATOR . $x . '/y'", "a/b.php", constants))
                .containsExactly(PhpExpressions.ROOT + "/lib");
        assertThat(PhpIncludePath.values("'.:' . __DIR__ . '/inc:/usr/share/php'", "a/b.php", Map.of()))
                .containsExactly(".", PhpExpressions.ROOT + "/a/inc", "/usr/share/php");
        assertThat(PhpIncludePath.values("implode(PATH_SEPARATOR, array(__DIR__ . '/x', get_include_path()))", "c/b.php", Map.of()))
                .containsExactly(PhpExpressions.ROOT + "/c/x");
        assertThat(MissingReferenceValidator.withoutLeadingDots("../.././a/../b.php")).isEqualTo("b.php");
        assertThat(MissingReferenceValidator.withoutLeadingDots("lib/b.php")).isNull();
    }

    @Test
    void absoluteConstantsMapThroughTheInferredMountPoint() {
        var tree = files("config.php", "<?php\ndefine('INSTALL_PATH', '/var/lib/app/');\nrequire INSTALL_PATH . 'lib/boot.php';\n",
                "index.php", "<?php\nrequire INSTALL_PATH . 'lib/db.php';\nrequire INSTALL_PATH . 'lib/dbb.php';\n",
                "lib/boot.php", "<?php\n",
                "lib/db.php", "<?php\n");
        assertThat(Trees.run(v, tree)).singleElement().satisfies(x -> {
            assertThat(x.path() + ":" + x.line()).isEqualTo("index.php:3");
            assertThat(x.suggestion()).isEqualTo("did you mean 'lib/db.php'?");
        });
    }

    @Test
    void composerScriptsAndTranslationsAreNoReferences() {
        var tree = files("composer.json", "{\"scripts\": {\"check\": \"./.phive/phpstan.phar\"}, \"bin\": [\"./bin/tool\"]}\n",
                "bin/tool", "#!/bin/sh\n",
                "languages/i18n/nl.json", "{\"x\": \"zie ./\\\\ hier\", \"y\": \"a ./b c\"}\n");
        assertThat(Trees.run(v, tree)).isEmpty();
        var broken = files("composer.json", "{\"bin\": [\"./bin/tol\"]}\n", "bin/tool", "#!/bin/sh\n");
        assertThat(Trees.run(v, broken)).singleElement().satisfies(x -> assertThat(x.suggestion()).isEqualTo("did you mean 'bin/tool'?"));
    }

    @Test
    void apacheIncludeAndIncludeOptional() {
        var tree = files(
                "apache2.conf", "ServerRoot \"/etc/apache2\"\nInclude ports.conf\nIncludeOptional conf-enabled/*.conf\n"
                        + "Include mods-enabled/*.load\nInclude sites-enabled/missing.conf\ninclude \"ports.conf\"\n",
                "ports.conf", "Listen 80\n",
                "sites-enabled/000-default.conf", "<VirtualHost *:80>\n</VirtualHost>\n");
        List<Finding> f = Trees.run(v, tree);
        assertThat(f).extracting(Finding::line).containsExactly(4, 5);
        assertThat(f.get(0).message()).contains("wildcard matches no file");
        assertThat(f.get(1).message()).contains("sites-enabled/missing.conf");
    }

    @Test
    void nginxIncludeAndDeployPathValues() {
        var tree = files(
                "nginx.conf", "http {\n  include mime.types;\n  include conf.d/*.conf;\n  include /etc/nginx/snippets/ssl.conf;\n"
                        + "  include /etc/nginx/snippets/gone.conf;\n  include /usr/share/other.conf;\n}\n",
                "mime.types", "types {}\n",
                "snippets/ssl.conf", "ssl on;\n",
                "app.yaml", "template: ./templates/main.tmpl\nmissing: ./templates/nope.tmpl\ncert: /etc/nginx/snippets/ssl.conf\n",
                "templates/main.tmpl", "hi\n");
        var settings = new ValidationSettings("/etc/nginx", false, true, null, null, null, null);
        List<Finding> f = Trees.run(v, tree, settings);
        assertThat(f).extracting(x -> x.path() + ":" + x.line()).containsExactlyInAnyOrder("nginx.conf:5", "app.yaml:2");
    }

    @Test
    void nginxRelativeIncludesResolveAgainstThePrefixAndAbsoluteOnesThroughTheMountPoint() {
        var tree = files(
                "nginx.conf", "http {\n  include /etc/nginx/mime.types;\n  include /etc/nginx/sites-enabled/*;\n  include /etc/nginx/snippets/gone.conf;\n}\n",
                "mime.types", "types {}\n",
                "fastcgi.conf", "fastcgi_param A b;\n",
                "snippets/fastcgi-php.conf", "include fastcgi.conf;\ninclude fastcgi.cnf;\n");
        // no deployPath: the tree says it is /etc/nginx (it holds mime.types)
        assertThat(Trees.run(v, tree)).extracting(x -> x.path() + ":" + x.line())
                .containsExactlyInAnyOrder("nginx.conf:4", "snippets/fastcgi-php.conf:2");
    }

    @Test
    void aWildcardThatStopsMatchingIsAnErrorAgainstTheParent() {
        var parent = files("apache2.conf", "Include ports.conf\nIncludeOptional mods-enabled/*.load\nIncludeOptional conf-enabled/*.conf\n",
                "ports.conf", "Listen 80\n", "mods-enabled/php.load", "LoadModule php_module x.so\n");
        var child = new HashMap<>(parent);
        child.put("apache2.conf", "Include ports.conf\nIncludeOptional mods-enabeld/*.load\nIncludeOptional conf-enabled/*.conf\n");
        // offline without a parent: the mistyped directory is one edit from an existing one
        assertThat(Trees.run(v, child)).singleElement().satisfies(x -> {
            assertThat(x.line()).isEqualTo(2);
            assertThat(x.message()).contains("did you mean 'mods-enabled/'");
        });
        try (ValidationInput in = new ValidationInput(ConfigTree.of(child), ConfigTree.of(parent),
                ValidationSettings.DEFAULT)) {
            assertThat(v.validate(in)).singleElement().satisfies(x -> {
                assertThat(x.line()).isEqualTo(2);
                assertThat(x.message()).contains("'mods-enabled/*.load', matched files in the parent version");
            });
        }
    }

    @Test
    void linksAndBinariesAreReferencesTheTreeHolds() {
        var text = files("index.php", "<?php\nrequire __DIR__ . '/wp-config.php';\n"
                + "require __DIR__ . '/lib/x.php';\nrequire __DIR__ . '/shared/y.php';\nrequire __DIR__ . '/var/cache/z.php';\n",
                "real/y.php", "<?php\n");
        Map<String, TreeEntry> entries = new HashMap<>();
        text.forEach((path, content) -> entries.put(path, TreeEntry.text(content)));
        entries.put("lib/x.php", TreeEntry.file(new byte[] {0, 1, 2}));
        entries.put("shared", TreeEntry.link("shared", "real"));
        entries.put("wp-config.php", TreeEntry.link("wp-config.php", "/etc/wordpress/config-localhost.php"));
        entries.put("var", TreeEntry.link("var", "/var/lib/wordpress"));
        try (ValidationInput in = new ValidationInput(ConfigTree.ofEntries(entries, Limits.DEFAULT), null, ValidationSettings.DEFAULT)) {
            assertThat(v.validate(in)).isEmpty();
        }
    }

    @Test
    void hostPathsCheckedOnlyWhenAsked() {
        var tree = files("a.php", "<?php\nrequire '/definitely/not/here.php';\nrequire '" + System.getProperty("java.home") + "/release';\n");
        assertThat(Trees.run(v, tree)).isEmpty();
        var settings = new ValidationSettings(null, true, true, null, null, null, null);
        assertThat(Trees.run(v, tree, settings)).singleElement().satisfies(x -> assertThat(x.line()).isEqualTo(2));
    }
}
