package dev.rollguard.config;

import com.github.difflib.UnifiedDiffUtils;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TreeDiffTest {
    @Test
    void unifiedDiffShowsAddedRemovedAndModifiedFiles() {
        ConfigTree a = ConfigTree.of(Map.of("keep.conf", "same\n", "mod.php", "<?php\nrequire 'a.php';\n", "gone.ini", "x=1\n"));
        ConfigTree b = ConfigTree.of(Map.of("keep.conf", "same\n", "mod.php", "<?php\nrequire 'a.phpp';\n", "new.yaml", "k: v\n"));
        List<TreeDiff.FileDiff> d = TreeDiff.between(a, b, "v1", "v2");
        assertThat(d).extracting(TreeDiff.FileDiff::path).containsExactly("gone.ini", "mod.php", "new.yaml");
        assertThat(d).extracting(TreeDiff.FileDiff::status)
                .containsExactly(TreeDiff.Status.REMOVED, TreeDiff.Status.MODIFIED, TreeDiff.Status.ADDED);
        String text = TreeDiff.render(d);
        assertThat(text).contains("--- v1/mod.php", "+++ v2/mod.php", "-require 'a.php';", "+require 'a.phpp';",
                "--- v1/gone.ini", "+++ /dev/null", "--- /dev/null", "+++ v2/new.yaml");
        TreeDiff.FileDiff mod = d.get(1);
        assertThat(mod.additions()).isEqualTo(1);
        assertThat(mod.deletions()).isEqualTo(1);
        assertThat(mod.changedLines()).anySatisfy(c -> {
            assertThat(c.added()).isTrue();
            assertThat(c.line()).isEqualTo(2);
        });
    }

    /** Property: applying the unified diff to the old file gives the new one, for any pair of texts. */
    @Property(tries = 200)
    void unifiedDiffRoundTrips(@ForAll @Size(max = 30) List<@StringLength(max = 6) String> oldLines,
                               @ForAll @Size(max = 30) List<@StringLength(max = 6) String> newLines) throws Exception {
        List<String> a = clean(oldLines);
        List<String> b = clean(newLines);
        String oldText = a.isEmpty() ? "" : String.join("\n", a) + "\n";
        String newText = b.isEmpty() ? "" : String.join("\n", b) + "\n";
        ConfigTree from = ConfigTree.of(Map.of("f", oldText));
        ConfigTree to = ConfigTree.of(Map.of("f", newText));
        List<TreeDiff.FileDiff> d = TreeDiff.between(from, to, "a", "b");
        if (oldText.equals(newText)) {
            assertThat(d).isEmpty();
            return;
        }
        List<String> unified = List.of(d.get(0).unified().split("\n"));
        var patch = UnifiedDiffUtils.parseUnifiedDiff(unified);
        assertThat(patch.applyTo(TreeDiff.lines(oldText))).isEqualTo(TreeDiff.lines(newText));
    }

    private static List<String> clean(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String s : lines) out.add(s.replaceAll("[\\p{Cntrl}\\r\\n\\u2028\\u2029\\u0085]", "x"));
        return out;
    }
}
