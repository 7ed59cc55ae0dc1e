package dev.rollguard.validate;

import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sim.WordPressLikeTree;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SuspiciousTokenValidatorTest {
    private final SuspiciousTokenValidator v = new SuspiciousTokenValidator();

    @Test
    void flagsPhppAmongManyPhp() {
        Map<String, String> tree = WordPressLikeTree.withTypo(WordPressLikeTree.generate(400, 7));
        List<Finding> f = Trees.run(v, tree);
        assertThat(f).singleElement().satisfies(x -> {
            assertThat(x.path()).isEqualTo("wp-settings.php");
            assertThat(x.severity()).isEqualTo(FindingSeverity.ERROR);
            assertThat(x.suggestion()).isEqualTo("did you mean '.php'?");
            assertThat(x.fix()).isEqualTo(new Fix(".phpp", ".php", null, true));
            String line = tree.get("wp-settings.php").split("\n")[x.line() - 1];
            assertThat(line.substring(x.column() - 1)).startsWith(".phpp'");
        });
    }

    @Test
    void generatedTreeWithoutTypoIsClean() {
        assertThat(Trees.run(v, WordPressLikeTree.generate(2000, 11))).isEmpty();
    }

    @Test
    void ignoresCommentsMethodCallsProseAndKnownExtensions() {
        Map<String, String> tree = new HashMap<>();
        for (int i = 0; i < 20; i++) tree.put("f" + i + ".js", "load('/a/b" + i + ".js');\n");
        tree.put("app.js", "// see '/x/old.jsx' and '/y/z.jss'\nhistory.pop();\nvar s = '/lib/a.json';\n");
        tree.put("notes.txt", "we once had '/x/y.jss' here\n");
        assertThat(Trees.run(v, tree)).isEmpty();
        tree.put("bad.js", "load('/a/c.jss');\n");
        assertThat(Trees.run(v, tree)).singleElement().satisfies(x -> assertThat(x.path()).isEqualTo("bad.js"));
    }

    @Test
    void configKeyTypoIsAWarning() {
        Map<String, String> tree = new HashMap<>();
        for (int i = 0; i < 8; i++) tree.put("sites/site" + i + ".conf", "DocumentRoot /var/www/s" + i + "\nServerName s" + i + "\n");
        tree.put("sites/broken.conf", "DocumnetRoot /var/www/b\nServerName b\n");
        assertThat(Trees.run(v, tree)).singleElement().satisfies(x -> {
            assertThat(x.severity()).isEqualTo(FindingSeverity.WARNING);
            assertThat(x.message()).contains("'DocumnetRoot'", "'DocumentRoot'");
            assertThat(x.line()).isEqualTo(1);
        });
    }

    @Test
    void ignoreListSilencesAToken() {
        Map<String, String> tree = WordPressLikeTree.withTypo(WordPressLikeTree.generate(400, 7));
        var settings = new ValidationSettings(null, false, true, null, null, null, List.of(".phpp"));
        assertThat(Trees.run(v, tree, settings)).isEmpty();
    }

    @Test
    void plausibleTypoExcludesDeliberateVariants() {
        assertThat(SuspiciousTokenValidator.plausibleTypo("phpp", "php")).isTrue();
        assertThat(SuspiciousTokenValidator.plausibleTypo("php5", "php")).isFalse();
        assertThat(SuspiciousTokenValidator.plausibleTypo("phps", "php")).isFalse();
        assertThat(SuspiciousTokenValidator.plausibleTypo("yml", "yaml")).isFalse();
        assertThat(SuspiciousTokenValidator.plausibleTypo("PHP", "php")).isFalse();
    }

    @Test
    void noWolfInRegexesMimeTablesPromptsTranslationsOrWordLists() {
        Map<String, String> tree = new HashMap<>();
        for (int i = 0; i < 30; i++) tree.put("lib/f" + i + ".php", "<?php\nrequire __DIR__ . '/g" + i + ".php';\n");
        tree.put("lib/ImportShp.php", "<?php\nif (preg_match('/^.*\\.shp$/i', $name)) {}\n$glob = 'data/*.shpp';\n");
        tree.put("lib/MimeType.php", "<?php\nreturn ['mts' => 'model/vnd.mts', 'xul' => 'application/vnd.mozilla.xul+xml', 'x' => 'a/b.wml'];\n");
        tree.put("lib/Help.php", "<?php\n$msg = 'Put the file in conf/ and name it x.phpp when done';\n");
        tree.put("languages/i18n/en.php", "<?php\n$messages = ['a' => 'see /x/y.phpp'];\n");
        tree.put("modules/ace/snippets/php.js", "snippet inc\n\tinclude '/x/${1:file}.phpp';\n");
        tree.put("words", "whore\nwhole\nwhole\nwhole\nwhole\nwhole\n");
        assertThat(Trees.run(v, tree)).isEmpty();
        tree.put("lib/bad.php", "<?php\nrequire_once 'lib/x.phpp';\n");
        assertThat(Trees.run(v, tree)).singleElement().satisfies(x -> assertThat(x.path()).isEqualTo("lib/bad.php"));
    }

    @Test
    void extensionsKnownToMediaTypesAreNeverTypos() {
        Map<String, String> tree = new HashMap<>();
        for (int i = 0; i < 30; i++) tree.put("f" + i + ".php", "<?php\nrequire __DIR__ . '/g" + i + ".php';\n");
        tree.put("map.php", "<?php\n$a = 'maps/world.shp';\n$b = 'pages/index.phtml';\n$c = 'x/y.pcp';\n");
        assertThat(Trees.run(v, tree)).extracting(Finding::message).singleElement().asString().contains("'.pcp'");
    }
}
