package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FixerTest {
    @Test
    void replacesEveryOccurrenceOnTokenBoundaries() {
        ConfigTree t = ConfigTree.of(Map.of(
                "a.php", "<?php\nrequire 'x.phpp';\nrequire 'y.phpp';\n// .phppx stays\n",
                "b.conf", "AddType x .phpp\n",
                "c.txt", "nothing\n"));
        Finding f = Finding.of("suspicious-token", FindingSeverity.ERROR, "a.php", 2, 10, "m", "s", new Fix(".phpp", ".php", null, true));
        Fixer.Result r = Fixer.apply(t, List.of(f, f));
        assertThat(r.occurrences()).isEqualTo(3);
        assertThat(r.applied()).singleElement().satisfies(a -> assertThat(a.files()).isEqualTo(2));
        assertThat(r.tree().content("a.php")).isEqualTo("<?php\nrequire 'x.php';\nrequire 'y.php';\n// .phppx stays\n");
        assertThat(r.tree().content("b.conf")).isEqualTo("AddType x .php\n");
        assertThat(t.content("a.php")).contains(".phpp'"); // the input tree is immutable
    }

    @Test
    void fileScopedFixTouchesOneFileAndIsCoveredByTreeWideTwin() {
        ConfigTree t = ConfigTree.of(Map.of("a.php", "require 'v.phpp';\n", "b.php", "require 'v.phpp';\n"));
        Fix local = new Fix("v.phpp", "v.php", "a.php", true);
        Fixer.Result r = Fixer.apply(t, List.of(Finding.of("r", FindingSeverity.ERROR, "a.php", 1, 1, "m", null, local)));
        assertThat(r.tree().content("a.php")).isEqualTo("require 'v.php';\n");
        assertThat(r.tree().content("b.php")).isEqualTo("require 'v.phpp';\n");
        Fix wide = new Fix("v.phpp", "v.php", null, true);
        Fixer.Result both = Fixer.apply(t, List.of(Finding.of("r", FindingSeverity.ERROR, "a.php", 1, 1, "m", null, local),
                Finding.of("r", FindingSeverity.ERROR, "a.php", 1, 1, "m2", null, wide)));
        assertThat(both.applied()).hasSize(1);
        assertThat(both.tree().content("b.php")).isEqualTo("require 'v.php';\n");
    }
}
