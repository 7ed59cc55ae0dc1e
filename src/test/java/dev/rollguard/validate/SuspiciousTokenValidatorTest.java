package dev.rollguard.validate;

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
            assertThat(x.severity()).isEqualTo(Severity.ERROR);
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
            assertThat(x.severity()).isEqualTo(Severity.WARNING);
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
}
