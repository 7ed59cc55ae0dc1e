package dev.rollguard.config;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Diffs of arbitrary texts: never crash, count what changed, and replaying the changed lines gives the new text back. */
class TreeDiffPropertiesTest {
    @Provide
    Arbitrary<String> text() {
        return Arbitraries.strings().withChars("ab c\n\t'$;{}").ofMaxLength(120);
    }

    @Property(tries = 500)
    void diffsAccountForEveryChangedLine(@ForAll("text") String a, @ForAll("text") String b) {
        ConfigTree from = ConfigTree.of(Map.of("f.conf", a));
        ConfigTree to = ConfigTree.of(Map.of("f.conf", b));
        List<TreeDiff.FileDiff> diffs = TreeDiff.between(from, to, "v1", "v2");
        if (a.equals(b)) {
            assertThat(diffs).isEmpty();
            return;
        }
        assertThat(diffs).hasSize(1);
        TreeDiff.FileDiff d = diffs.get(0);
        assertThat(d.additions()).isEqualTo(d.changedLines().stream().filter(TreeDiff.ChangedLine::added).count());
        assertThat(d.deletions()).isEqualTo(d.changedLines().stream().filter(l -> !l.added()).count());
        // the new file is the old one with the removed lines taken out and the added ones put in at their lines
        List<String> lines = new ArrayList<>(List.of(a.split("\n", -1)));
        List<TreeDiff.ChangedLine> removed = d.changedLines().stream().filter(l -> !l.added()).toList();
        for (int k = removed.size() - 1; k >= 0; k--) lines.remove(removed.get(k).line() - 1);
        for (TreeDiff.ChangedLine l : d.changedLines()) if (l.added()) lines.add(l.line() - 1, l.text());
        // (compared without trailing line breaks, whose modelling differs between diff tools)
        assertThat(chomp(String.join("\n", lines))).isEqualTo(chomp(b));
        assertThat(TreeDiff.render(diffs)).contains("--- v1/f.conf", "+++ v2/f.conf");
    }

    /** Trailing line breaks: how a diff tool models them (empty last lines, "no newline at end") differs. */
    private static String chomp(String s) {
        String t = s;
        while (t.endsWith("\n")) t = t.substring(0, t.length() - 1);
        return t;
    }
}
