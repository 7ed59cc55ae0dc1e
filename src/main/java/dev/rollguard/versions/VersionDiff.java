package dev.rollguard.versions;

import dev.rollguard.config.TreeDiff;

import java.util.List;

/** Two versions and the file-by-file diff between them (secrets masked), with where each came from. */
public record VersionDiff(VersionInfo from, VersionInfo to, List<TreeDiff.FileDiff> files) {

    /**
     * The unified diff, preceded by "v6 = commit 3f2c1e0 by alice: subject" lines for versions pushed from Git
     * (patch tools skip lines before the first file header).
     */
    public String unified() {
        StringBuilder sb = new StringBuilder();
        for (VersionInfo v : List.of(from, to)) {
            if (v.git() != null) sb.append("v").append(v.number()).append(" = ").append(v.git().describe()).append(": ")
                    .append(v.git().subject()).append('\n');
        }
        return sb.append(TreeDiff.render(files)).toString();
    }
}
