package dev.rollguard.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Cases the property tests found. */
class TreeDiffRegressionTest {
    @Test
    void aChangeOfOnlyTheFinalLineBreakShowsInTheDiff() {
        var diffs = TreeDiff.between(ConfigTree.of(Map.of("f.conf", "'\n")), ConfigTree.of(Map.of("f.conf", "'")), "v1", "v2");
        assertThat(diffs).hasSize(1);
        assertThat(diffs.get(0).additions()).isEqualTo(1);
        assertThat(diffs.get(0).deletions()).isEqualTo(1);
        assertThat(diffs.get(0).changedLines()).extracting(TreeDiff.ChangedLine::text).containsExactly("'", "'");
        assertThat(TreeDiff.render(diffs)).isEqualTo("--- v1/f.conf\n+++ v2/f.conf\n@@ -1,1 +1,1 @@\n-'\n+'\n\\ No newline at end of file\n");
    }
}
