package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies findings' suggested fixes to a tree: every occurrence, in every file the fix covers (what the seed's
 * team did by hand with a Puppet find-and-replace, hours into the outage).
 */
public final class Fixer {
    public record Applied(Fix fix, int occurrences, int files) {}

    public record Result(ConfigTree tree, List<Applied> applied) {
        public int occurrences() { return applied.stream().mapToInt(Applied::occurrences).sum(); }
    }

    private Fixer() {}

    public static Result apply(ConfigTree tree, List<Finding> findings) {
        // tree-wide fixes first: they cover their file-scoped twins, which then find nothing left to replace
        Set<Fix> fixes = new LinkedHashSet<>();
        for (Finding f : findings) if (f.fix() != null && f.fix().treeWide()) fixes.add(f.fix());
        for (Finding f : findings) if (f.fix() != null && !f.fix().treeWide()) fixes.add(f.fix());
        // a tree-wide fix covers its file-scoped twins
        fixes.removeIf(f -> !f.treeWide() && fixes.contains(new Fix(f.from(), f.to(), null, f.wordBoundary())));
        Map<String, String> changed = new HashMap<>();
        List<Applied> applied = new ArrayList<>();
        for (Fix fix : fixes) {
            Pattern p = pattern(fix);
            int occurrences = 0;
            int files = 0;
            for (String path : fix.treeWide() ? tree.paths() : Set.of(fix.path())) {
                String content = changed.getOrDefault(path, tree.content(path));
                if (content == null) continue;
                Matcher m = p.matcher(content);
                int n = 0;
                StringBuilder sb = new StringBuilder();
                while (m.find()) {
                    m.appendReplacement(sb, Matcher.quoteReplacement(fix.to()));
                    n++;
                }
                if (n > 0) {
                    m.appendTail(sb);
                    changed.put(path, sb.toString());
                    occurrences += n;
                    files++;
                }
            }
            if (occurrences > 0) applied.add(new Applied(fix, occurrences, files));
        }
        return new Result(changed.isEmpty() ? tree : tree.with(changed), applied);
    }

    /** What a fix replaces: its text, kept whole-word when the fix says so (SARIF output locates the same matches). */
    public static Pattern pattern(Fix fix) {
        return Pattern.compile(fix.wordBoundary() ? boundaryPattern(fix.from()) : Pattern.quote(fix.from()));
    }

    private static String boundaryPattern(String token) {
        String start = Character.isLetterOrDigit(token.charAt(0)) || token.charAt(0) == '_' ? "(?<![A-Za-z0-9_])" : "";
        return start + Pattern.quote(token) + "(?![A-Za-z0-9_])";
    }
}
