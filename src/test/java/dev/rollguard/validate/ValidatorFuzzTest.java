package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Whatever text a config file holds, the built-in validators end quickly with findings, never an exception. */
class ValidatorFuzzTest {
    @Provide
    Arbitrary<String> configText() {
        return Arbitraries.strings().withChars("<?php '\"()[]{}.;:=#/\\*\n\t abcxyzABCrequiredefineinclude_ABSPATHWPINC-0123$@")
                .ofMaxLength(400);
    }

    @Provide
    Arbitrary<String> fileName() {
        return Arbitraries.of("a.php", "b.json", "c.yaml", "d.xml", "e.ini", "f.properties", "g.conf", "nginx.conf", "h.js",
                ".htaccess", "i.txt");
    }

    @Property(tries = 400)
    void builtInValidatorsNeverCrash(@ForAll("fileName") String name, @ForAll("configText") String content,
                                     @ForAll("configText") String other) {
        ConfigTree tree = ConfigTree.of(Map.of(name, content, "lib/other.php", other));
        ValidationReport report = Validation.builtIn().run(tree, null, null);
        assertThat(report.findings()).allSatisfy(f -> {
            assertThat(f.rule()).doesNotStartWith("internal:");
            assertThat(f.message()).isNotBlank();
            assertThat(f.line()).isNotNegative();
        });
    }
}
