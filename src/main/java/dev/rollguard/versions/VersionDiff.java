package dev.rollguard.versions;

import dev.rollguard.config.TreeDiff;

import java.util.List;
import java.util.Map;

/**
 * Two versions and the file-by-file diff between them (secrets masked), with where each came from; for versions with
 * values, {@code renderings}: per environment, how the files rendered for it change (a value changed for production shows
 * as the production lines it changes), secret values masked.
 */
public record VersionDiff(VersionInfo from, VersionInfo to, List<TreeDiff.FileDiff> files, Map<String, List<TreeDiff.FileDiff>> renderings) {

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
        sb.append(TreeDiff.render(files));
        renderings.forEach((env, diffs) -> {
            if (!diffs.isEmpty()) sb.append("# as rendered for ").append(env).append('\n').append(TreeDiff.render(diffs));
        });
        return sb.toString();
    }
}
