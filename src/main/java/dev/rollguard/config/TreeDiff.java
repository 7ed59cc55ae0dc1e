package dev.rollguard.config;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.AbstractDelta;
import com.github.difflib.patch.Patch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/** File-by-file unified diff between two trees. */
public final class TreeDiff {
    public enum Status { ADDED, REMOVED, MODIFIED }

    /** One changed line: {@code line} is 1-based in the new file for additions, in the old one for removals. */
    public record ChangedLine(String path, int line, boolean added, String text) {}

    public record FileDiff(String path, Status status, int additions, int deletions, String unified,
                           List<ChangedLine> changedLines) {}

    private TreeDiff() {}

    public static List<FileDiff> between(ConfigTree from, ConfigTree to, String fromLabel, String toLabel) {
        TreeSet<String> paths = new TreeSet<>();
        if (from != null) paths.addAll(from.paths());
        paths.addAll(to.paths());
        List<FileDiff> out = new ArrayList<>();
        for (String path : paths) {
            String a = from == null ? null : from.content(path);
            String b = to.content(path);
            if (a != null && a.equals(b)) continue;
            Status status = a == null ? Status.ADDED : b == null ? Status.REMOVED : Status.MODIFIED;
            out.add(diffFile(path, status, a, b, fromLabel, toLabel));
        }
        return out;
    }

    private static FileDiff diffFile(String path, Status status, String a, String b, String fromLabel, String toLabel) {
        // a last line without a line break differs from the same text with one: otherwise a change of only the final
        // line break is a MODIFIED file with an empty diff
        List<String> oldLines = markUnterminated(a, lines(a));
        List<String> newLines = markUnterminated(b, lines(b));
        Patch<String> patch = DiffUtils.diff(oldLines, newLines);
        int adds = 0;
        int dels = 0;
        List<ChangedLine> changed = new ArrayList<>();
        for (AbstractDelta<String> d : patch.getDeltas()) {
            List<String> removed = d.getSource().getLines();
            List<String> added = d.getTarget().getLines();
            for (int i = 0; i < removed.size(); i++) {
                changed.add(new ChangedLine(path, d.getSource().getPosition() + i + 1, false, unmark(removed.get(i))));
            }
            for (int i = 0; i < added.size(); i++) {
                changed.add(new ChangedLine(path, d.getTarget().getPosition() + i + 1, true, unmark(added.get(i))));
            }
            dels += removed.size();
            adds += added.size();
        }
        String oldName = a == null ? "/dev/null" : fromLabel + "/" + path;
        String newName = b == null ? "/dev/null" : toLabel + "/" + path;
        List<String> unified = new ArrayList<>();
        for (String line : UnifiedDiffUtils.generateUnifiedDiff(oldName, newName, oldLines, patch, 3)) {
            unified.add(unmark(line));
            if (line.endsWith(NO_FINAL_LINE_BREAK)) unified.add("\\ No newline at end of file");
        }
        return new FileDiff(path, status, adds, dels, String.join("\n", unified) + (unified.isEmpty() ? "" : "\n"), changed);
    }

    /** Config text never holds NUL (it is refused as binary), so it can mark a last line that has no line break. */
    private static final String NO_FINAL_LINE_BREAK = "\u0000";

    private static List<String> markUnterminated(String text, List<String> lines) {
        if (lines.isEmpty() || text.endsWith("\n")) return lines;
        List<String> marked = new ArrayList<>(lines);
        marked.set(marked.size() - 1, marked.get(marked.size() - 1) + NO_FINAL_LINE_BREAK);
        return marked;
    }

    private static String unmark(String line) {
        return line.endsWith(NO_FINAL_LINE_BREAK) ? line.substring(0, line.length() - 1) : line;
    }

    static List<String> lines(String text) {
        if (text == null || text.isEmpty()) return List.of();
        String[] parts = text.split("\r?\n", -1);
        List<String> list = new ArrayList<>(Arrays.asList(parts));
        if (text.endsWith("\n")) list.remove(list.size() - 1);
        return list;
    }

    public static String render(List<FileDiff> diffs) {
        StringBuilder sb = new StringBuilder();
        diffs.forEach(d -> sb.append(d.unified()));
        return sb.toString();
    }
}
