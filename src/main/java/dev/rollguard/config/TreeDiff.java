package dev.rollguard.config;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.AbstractDelta;
import com.github.difflib.patch.ChangeDelta;
import com.github.difflib.patch.Chunk;
import com.github.difflib.patch.DeleteDelta;
import com.github.difflib.patch.EqualDelta;
import com.github.difflib.patch.InsertDelta;
import com.github.difflib.patch.Patch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * File-by-file unified diff between two trees. Text files get line diffs; a binary file is never diffed by line
 * ({@code Binary files a/x and b/x differ}, preceded by each side's size and SHA-256, as Git prints it); a symlink
 * diffs as the one line {@code symlink -> target}, so a file turned into a link shows both. A change of mode shows as Git
 * shows it ({@code old mode 100644} / {@code new mode 100755}) above the file's lines, and a change of owner likewise;
 * a directory whose mode or owner changed is shown with a trailing '/' and Git's directory mode (040755).
 */
public final class TreeDiff {
    public enum Status { ADDED, REMOVED, MODIFIED }

    /** One changed line: {@code line} is 1-based in the new file for additions, in the old one for removals. */
    public record ChangedLine(String path, int line, boolean added, String text) {}

    /** A path's mode and owner before and after ({@link FileMeta#NONE}: as the agent creates it). */
    public record MetaChange(boolean directory, FileMeta from, FileMeta to) {}

    /** {@code meta}: the change of mode or owner, null when they did not change. */
    public record FileDiff(String path, Status status, int additions, int deletions, String unified,
                           List<ChangedLine> changedLines, MetaChange meta) {
        public FileDiff(String path, Status status, int additions, int deletions, String unified, List<ChangedLine> changedLines) {
            this(path, status, additions, deletions, unified, changedLines, null);
        }

        /** The same diff with {@code mask} applied to every text people read (secrets). */
        public FileDiff masked(UnaryOperator<String> mask) {
            return new FileDiff(path, status, additions, deletions, mask.apply(unified), changedLines.stream()
                    .map(l -> new ChangedLine(l.path(), l.line(), l.added(), mask.apply(l.text()))).toList(), meta);
        }
    }

    private TreeDiff() {}

    public static List<FileDiff> between(ConfigTree from, ConfigTree to, String fromLabel, String toLabel) {
        return between(from, to, fromLabel, toLabel, UnaryOperator.identity());
    }

    /**
     * As above, as people may read it: lines are compared as they are (a changed password is a changed line) but
     * shown as {@code mask} shows each side's whole file, so a secret spanning lines (a PEM key's body) is masked in
     * every hunk, even one that holds none of its first or last line.
     */
    public static List<FileDiff> between(ConfigTree from, ConfigTree to, String fromLabel, String toLabel, UnaryOperator<String> mask) {
        return between(from, to, fromLabel, toLabel, (path, text) -> mask.apply(text));
    }

    /** As above, {@code mask} told which file it masks (a key file is masked whole, whatever it holds). */
    public static List<FileDiff> between(ConfigTree from, ConfigTree to, String fromLabel, String toLabel, BiFunction<String, String, String> mask) {
        TreeSet<String> paths = new TreeSet<>();
        if (from != null) paths.addAll(from.paths());
        paths.addAll(to.paths());
        List<FileDiff> out = new ArrayList<>();
        for (String path : paths) {
            TreeEntry a = from == null ? null : from.entry(path);
            TreeEntry b = to.entry(path);
            MetaChange meta = metaChange(from, to, path, false);
            boolean sameContent = a != null && b != null && a.hash().equals(b.hash()) && a.getClass() == b.getClass();
            if (sameContent && meta == null) continue;
            Status status = a == null ? Status.ADDED : b == null ? Status.REMOVED : Status.MODIFIED;
            if (sameContent) {
                out.add(new FileDiff(path, status, 0, 0, header(path, fromLabel, toLabel) + metaLines(meta), List.of(), meta));
            } else if (isBinary(a) || isBinary(b)) {
                FileDiff d = binaryDiff(path, status, a, b, fromLabel, toLabel);
                out.add(new FileDiff(path, status, 0, 0, withMeta(d.unified(), meta, path, fromLabel, toLabel), List.of(), meta));
            } else {
                FileDiff d = diffFile(path, status, textOf(a), textOf(b), text -> mask.apply(path, text), fromLabel, toLabel);
                // lines of a link are not lines of a file: validators looking at changed lines never see them
                List<ChangedLine> fileLines = d.changedLines().stream()
                        .filter(l -> !(l.added() ? b instanceof TreeEntry.Link : a instanceof TreeEntry.Link)).toList();
                out.add(new FileDiff(d.path(), d.status(), d.additions(), d.deletions(), withMeta(d.unified(), meta, path, fromLabel, toLabel),
                        fileLines, meta));
            }
        }
        TreeSet<String> dirs = new TreeSet<>(to.directories());
        if (from != null) dirs.addAll(from.directories());
        for (String dir : dirs) {
            MetaChange meta = metaChange(from, to, dir, true);
            if (meta == null) continue;
            boolean inFrom = from != null && from.hasDirectory(dir);
            boolean inTo = to.hasDirectory(dir);
            Status status = !inFrom ? Status.ADDED : !inTo ? Status.REMOVED : Status.MODIFIED;
            out.add(new FileDiff(dir + "/", status, 0, 0, header(dir + "/", fromLabel, toLabel) + metaLines(meta), List.of(), meta));
        }
        return out;
    }

    /**
     * The change of mode or owner at a path, null when none. A path new or gone counts only when it has a mode or owner
     * of its own: a new 0644 file is not news, a new 0600 key is.
     */
    private static MetaChange metaChange(ConfigTree from, ConfigTree to, String path, boolean directory) {
        FileMeta a = from == null ? FileMeta.NONE : from.meta(path);
        FileMeta b = to.meta(path);
        return a.equals(b) ? null : new MetaChange(directory, a, b);
    }

    private static String header(String path, String fromLabel, String toLabel) {
        return "diff " + fromLabel + "/" + path + " " + toLabel + "/" + path + "\n";
    }

    /** A file's diff with its mode lines above: under the "diff" header a binary diff has, else above a new one. */
    private static String withMeta(String unified, MetaChange meta, String path, String fromLabel, String toLabel) {
        if (meta == null) return unified;
        String head = header(path, fromLabel, toLabel);
        return unified.startsWith(head) ? head + metaLines(meta) + unified.substring(head.length()) : head + metaLines(meta) + unified;
    }

    /** "old mode 100644" / "new mode 100755", and "old owner root:root" / "new owner www-data:" when they differ. */
    static String metaLines(MetaChange m) {
        String kind = m.directory() ? "040" : "100";
        StringBuilder sb = new StringBuilder();
        int a = m.from().effectiveMode(m.directory());
        int b = m.to().effectiveMode(m.directory());
        if (a != b) {
            sb.append("old mode ").append(kind).append(String.format("%03o", a)).append('\n')
                    .append("new mode ").append(kind).append(String.format("%03o", b)).append('\n');
        }
        String ownerA = owner(m.from());
        String ownerB = owner(m.to());
        if (!ownerA.equals(ownerB)) sb.append("old owner ").append(ownerA).append('\n').append("new owner ").append(ownerB).append('\n');
        return sb.toString();
    }

    /** "www-data:www-data", "root:" (group as the agent creates it), "(as the agent creates it)". */
    private static String owner(FileMeta m) {
        if (m.owner() == null && m.group() == null) return "(as the agent creates it)";
        return (m.owner() == null ? "" : m.owner()) + ":" + (m.group() == null ? "" : m.group());
    }

    /** "binary, 1234 bytes, sha256 …": how a binary file is shown instead of its bytes. */
    public static String describeBinary(TreeEntry.File f) {
        return "binary, " + f.size() + " bytes, sha256 " + f.hash();
    }

    private static boolean isBinary(TreeEntry e) {
        return e instanceof TreeEntry.File f && f.binary();
    }

    private static String textOf(TreeEntry e) {
        if (e == null) return null;
        if (e instanceof TreeEntry.Link l) return "symlink -> " + l.target() + "\n";
        return ((TreeEntry.File) e).text();
    }

    private static String describe(TreeEntry e) {
        if (e instanceof TreeEntry.Link l) return "symlink -> " + l.target();
        TreeEntry.File f = (TreeEntry.File) e;
        return f.binary() ? describeBinary(f) : "text, " + f.size() + " bytes, sha256 " + f.hash();
    }

    private static FileDiff binaryDiff(String path, Status status, TreeEntry a, TreeEntry b, String fromLabel, String toLabel) {
        String oldName = a == null ? "/dev/null" : fromLabel + "/" + path;
        String newName = b == null ? "/dev/null" : toLabel + "/" + path;
        StringBuilder sb = new StringBuilder("diff ").append(fromLabel).append('/').append(path).append(' ')
                .append(toLabel).append('/').append(path).append('\n');
        if (a != null) sb.append("old: ").append(describe(a)).append('\n');
        if (b != null) sb.append("new: ").append(describe(b)).append('\n');
        sb.append("Binary files ").append(oldName).append(" and ").append(newName).append(" differ\n");
        return new FileDiff(path, status, 0, 0, sb.toString(), List.of());
    }

    private static FileDiff diffFile(String path, Status status, String a, String b, UnaryOperator<String> mask, String fromLabel,
                                     String toLabel) {
        // a last line without a line break differs from the same text with one: otherwise a change of only the final
        // line break is a MODIFIED file with an empty diff
        List<String> rawOld = markUnterminated(a, lines(a));
        List<String> rawNew = markUnterminated(b, lines(b));
        Patch<String> raw = DiffUtils.diff(rawOld, rawNew);
        List<String> oldLines = shown(a, rawOld, mask);
        List<String> newLines = shown(b, rawNew, mask);
        Patch<String> patch = new Patch<>();
        for (AbstractDelta<String> d : raw.getDeltas()) {
            Chunk<String> source = chunk(d.getSource(), oldLines);
            Chunk<String> target = chunk(d.getTarget(), newLines);
            patch.addDelta(switch (d.getType()) {
                case DELETE -> new DeleteDelta<>(source, target);
                case INSERT -> new InsertDelta<>(source, target);
                case EQUAL -> new EqualDelta<>(source, target);
                case CHANGE -> new ChangeDelta<>(source, target);
            });
        }
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

    /** The lines as {@code mask} shows the whole text; every line masked whole if masking changed the line count. */
    private static List<String> shown(String text, List<String> raw, UnaryOperator<String> mask) {
        if (text == null) return raw;
        String masked = mask.apply(text);
        if (masked.equals(text)) return raw;
        List<String> lines = markUnterminated(masked, lines(masked));
        return lines.size() == raw.size() ? lines : raw.stream().map(l -> Secrets.MASK).toList();
    }

    private static Chunk<String> chunk(Chunk<String> raw, List<String> shown) {
        return new Chunk<>(raw.getPosition(), shown.subList(raw.getPosition(), raw.getPosition() + raw.size()));
    }

    /** Text never holds NUL (such content is a binary file), so NUL can mark a last line that has no line break. */
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
