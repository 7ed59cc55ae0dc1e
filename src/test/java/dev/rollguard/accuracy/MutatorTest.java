package dev.rollguard.accuracy;

import dev.rollguard.accuracy.Mutant.Kind;
import dev.rollguard.config.ConfigTree;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class MutatorTest {
    private static final ConfigTree TREE = ConfigTree.of(Map.of(
            "index.php", "<?php\nrequire __DIR__ . '/lib/boot.php';\nrequire_once 'lib/db.php';\nrequire 'vendor/gone.php';\n",
            "lib/boot.php", "<?php\n",
            "lib/db.php", "<?php\n",
            "app.json", "{\n  \"name\": \"x\",\n  \"list\": [1, 2],\n  \"on\": true\n}\n",
            "apache2.conf", "Include ports.conf\nIncludeOptional mods-enabled/*.load\n",
            "ports.conf", "Listen 80\n"));

    @Test
    void sameSeedSameMutantsAndOnlyWhereSomethingBreaks() {
        List<Mutator.Named> trees = List.of(new Mutator.Named("p", TREE));
        for (Kind kind : Kind.values()) {
            List<Mutant> a = Mutator.mutants(kind, trees, 5, new Random(7));
            List<Mutant> b = Mutator.mutants(kind, trees, 5, new Random(7));
            assertThat(a).isEqualTo(b);
            for (Mutant m : a) {
                assertThat(m.content()).isNotEqualTo(TREE.content(m.path()));
                String mutatedLine = m.content().split("\n", -1)[m.line() - 1];
                assertThat(mutatedLine).isNotEqualTo(TREE.content(m.path()).split("\n", -1)[m.line() - 1]);
            }
        }
        // references are mutated only where they name a file the tree holds: never the missing vendor/gone.php,
        // never the IncludeOptional that matches nothing
        assertThat(Mutator.mutants(Kind.BASENAME_TYPO, trees, 20, new Random(1))).allSatisfy(m -> assertThat(m.line()).isIn(2, 3));
        assertThat(Mutator.mutants(Kind.APACHE_INCLUDE, trees, 20, new Random(1))).allSatisfy(m -> assertThat(m.line()).isEqualTo(1));
        assertThat(Mutator.mutants(Kind.JSON, trees, 10, new Random(1))).allSatisfy(m -> assertThat(Mutator.parsesJson(m.content())).isFalse());
    }
}
