package dev.rollguard.config;

import dev.rollguard.Problem;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable tree of files (text or binary) and symbolic links keyed by normalized relative path. Construction is
 * the single gate for bad input: traversal, oversize files, too many files and ambiguous paths are refused here, so
 * everything downstream can trust a tree. Links are kept as written; {@link #resolve} follows them inside the tree
 * only, for the validators' reference checks.
 */
public final class ConfigTree {
    /** Where a path leads once the tree's own links are followed; nothing outside the tree is ever read. */
    public sealed interface Resolution {
        /** An entry or an implicit directory of the tree ({@code path} is "" for the root). */
        record Found(String path, boolean directory) implements Resolution {}

        /** The way leaves the tree through {@code link} (an absolute target, or one climbing above the root). */
        record Outside(String link, String target) implements Resolution {}

        /** Nothing is at {@code path} (after following links), or a file stands where a directory is needed. */
        record Missing(String path) implements Resolution {}

        /** More than {@link #MAX_HOPS} links on the way: a cycle such as {@code a -> b, b -> a}. */
        record Cycle(String link) implements Resolution {}
    }

    /** Linux gives up after 40 links (ELOOP); so does resolution here. */
    static final int MAX_HOPS = 40;

    private final TreeMap<String, TreeEntry> tree;
    private final SortedMap<String, TreeEntry> entries;
    private final SortedMap<String, String> files;
    private final NavigableSet<String> textPaths;
    private final Map<String, String> hashes;
    private final boolean hasLinks;
    /** Mode, owner and group of the files and directories that have any (others: as the agent creates them). */
    private final SortedMap<String, FileMeta> meta;

    private ConfigTree(TreeMap<String, TreeEntry> entries) {
        this(entries, Collections.emptySortedMap());
    }

    private ConfigTree(TreeMap<String, TreeEntry> entries, SortedMap<String, FileMeta> meta) {
        this.meta = meta;
        this.tree = entries;
        this.entries = Collections.unmodifiableSortedMap(entries);
        TreeMap<String, String> texts = new TreeMap<>();
        Map<String, String> h = new LinkedHashMap<>();
        boolean links = false;
        for (var e : entries.entrySet()) {
            h.put(e.getKey(), e.getValue().hash());
            if (e.getValue() instanceof TreeEntry.File f && f.text() != null) texts.put(e.getKey(), f.text());
            links |= e.getValue() instanceof TreeEntry.Link;
        }
        this.files = Collections.unmodifiableSortedMap(texts);
        this.textPaths = Collections.unmodifiableNavigableSet(texts.navigableKeySet());
        this.hashes = Collections.unmodifiableMap(h);
        this.hasLinks = links;
    }

    /** A tree of text files (path → content). Content with NUL or invalid UTF-8 becomes a binary file. */
    public static ConfigTree of(Map<String, String> raw, Limits limits) {
        Map<String, TreeEntry> entries = new LinkedHashMap<>();
        raw.forEach((path, text) -> entries.put(path, TreeEntry.text(text == null ? "" : text)));
        return ofEntries(entries, limits);
    }

    public static ConfigTree of(Map<String, String> raw) {
        return of(raw, Limits.DEFAULT);
    }

    public static ConfigTree ofEntries(Map<String, ? extends TreeEntry> raw, Limits limits) {
        if (raw.size() > limits.maxFiles()) {
            throw new Problem(413, "too_many_files",
                    "tree has " + raw.size() + " files; the limit is " + limits.maxFiles());
        }
        TreeMap<String, TreeEntry> entries = new TreeMap<>();
        long total = 0;
        for (var e : raw.entrySet()) {
            String path = ConfigPaths.normalize(e.getKey());
            TreeEntry entry = e.getValue();
            if (entry instanceof TreeEntry.File f) {
                long size = f.size();
                if (size > limits.maxFileBytes()) {
                    throw new Problem(413, "file_too_large", "file " + path + " is " + size
                            + " bytes; the limit is " + limits.maxFileBytes(), Map.of("path", path));
                }
                total += size;
                if (total > limits.maxTreeBytes()) {
                    throw new Problem(413, "tree_too_large", "tree is larger than " + limits.maxTreeBytes() + " bytes");
                }
            } else if (entry instanceof TreeEntry.Link l) {
                TreeEntry.link(path, l.target());
            }
            if (entries.put(path, entry) != null) {
                throw Problem.badRequest("duplicate_path", "path given twice after normalization: " + path);
            }
        }
        for (String path : entries.keySet()) {
            // a file (or link) "a" and a file "a/b" cannot both exist on disk
            String parent = ConfigPaths.parent(path);
            while (!parent.isEmpty()) {
                if (entries.containsKey(parent)) {
                    throw Problem.badRequest("invalid_path", "'" + parent + "' is both a file and a directory");
                }
                parent = ConfigPaths.parent(parent);
            }
        }
        return new ConfigTree(entries);
    }

    /** Every path: text files, binary files and links. */
    public NavigableSet<String> paths() { return Collections.unmodifiableNavigableSet(tree.navigableKeySet()); }

    /** Paths of text files only: what text validators read. */
    public NavigableSet<String> textPaths() { return textPaths; }

    /** Text files only (path → content): binary files and links are left out. */
    public Map<String, String> files() { return files; }

    public SortedMap<String, TreeEntry> entries() { return entries; }
    public TreeEntry entry(String path) { return tree.get(path); }

    /** SHA-256 of every entry's bytes (a link's: its target's). */
    public Map<String, String> hashes() { return hashes; }
    public String hash(String path) { return hashes.get(path); }

    /** The text of a text file; null for binary files, links and paths not in the tree. */
    public String content(String path) { return files.get(path); }

    /** A file's text however it is encoded ({@link TreeEntry.File#lenientText}); null for a link or no file. */
    public String lenientText(String path) {
        return tree.get(path) instanceof TreeEntry.File f ? f.lenientText() : null;
    }

    public int size() { return tree.size(); }

    /**
     * True if the path names an entry, or leads to a file through the tree's links. A path through a link that leaves
     * the tree counts as present: what lies outside cannot be checked, and the link itself is reported as a notice.
     */
    public boolean contains(String path) {
        if (tree.containsKey(path)) return true;
        if (!hasLinks) return false;
        Resolution r = resolve(path);
        return r instanceof Resolution.Found f && !f.directory() || r instanceof Resolution.Outside;
    }

    /** True if some entry lives under this directory (directories exist only implicitly), links followed. */
    public boolean isDirectory(String dir) {
        if (implicitDirectory(dir)) return true;
        if (!hasLinks) return false;
        Resolution r = resolve(dir);
        return r instanceof Resolution.Found f && f.directory() || r instanceof Resolution.Outside;
    }

    private boolean implicitDirectory(String dir) {
        if (dir.isEmpty()) return true;
        String prefix = dir + "/";
        String next = tree.ceilingKey(prefix);
        return next != null && next.startsWith(prefix);
    }

    /** Follows the tree's links along a relative path, as the kernel would, but never out of the tree. */
    public Resolution resolve(String path) {
        Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
        List<String> done = new ArrayList<>();
        int hops = 0;
        while (!todo.isEmpty()) {
            String part = todo.pollFirst();
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (done.isEmpty()) return new Resolution.Outside(path, path);
                done.remove(done.size() - 1);
                continue;
            }
            done.add(part);
            String at = String.join("/", done);
            TreeEntry e = tree.get(at);
            if (e instanceof TreeEntry.Link l) {
                if (++hops > MAX_HOPS) return new Resolution.Cycle(at);
                if (l.target().startsWith("/")) return new Resolution.Outside(at, l.target());
                done.remove(done.size() - 1);
                // a relative target is read from the link's directory; ".." above the root leaves the tree
                String[] parts = l.target().split("/");
                int depth = done.size();
                for (String p : parts) {
                    if (p.equals("..")) {
                        if (--depth < 0) return new Resolution.Outside(at, l.target());
                    } else if (!p.isEmpty() && !p.equals(".")) {
                        depth++;
                    }
                }
                for (int i = parts.length - 1; i >= 0; i--) todo.addFirst(parts[i]);
            } else if (e instanceof TreeEntry.File) {
                if (!todo.isEmpty() && todo.stream().anyMatch(p -> !p.isEmpty() && !p.equals("."))) return new Resolution.Missing(at);
            } else if (!implicitDirectory(at)) {
                return new Resolution.Missing(at);
            }
        }
        String at = String.join("/", done);
        return new Resolution.Found(at, at.isEmpty() || !tree.containsKey(at));
    }

    /** Links as written (path → target). */
    public Map<String, String> links() {
        Map<String, String> out = new TreeMap<>();
        tree.forEach((p, e) -> {
            if (e instanceof TreeEntry.Link l) out.put(p, l.target());
        });
        return out;
    }

    /**
     * Hash of the whole tree: stable over paths, kinds, contents and modes and owners, used to detect no-op pushes. A tree
     * without modes or owners hashes as it did before they existed, so stored versions keep their hashes.
     */
    public String treeHash() {
        StringBuilder sb = new StringBuilder();
        tree.forEach((p, e) -> sb.append(p).append('\0').append(e instanceof TreeEntry.Link ? "link:" : "")
                .append(e.hash()).append('\n'));
        meta.forEach((p, m) -> sb.append("meta:").append(p).append('\0').append(m.mode() == null ? "" : FileMeta.octal(m.mode()))
                .append('\0').append(m.owner() == null ? "" : m.owner()).append('\0').append(m.group() == null ? "" : m.group()).append('\n'));
        return Hashing.sha256(sb.toString());
    }

    /**
     * This tree as rules that read lines see it: every binary file as its {@link TreeEntry.File#lenientText} (NUL
     * shown as U+FFFD, since line diffs keep NUL as a marker). A config file in Latin-1 is still a config file.
     */
    public ConfigTree readable() {
        if (textPaths.size() == tree.values().stream().filter(e -> e instanceof TreeEntry.File).count()) return this;
        TreeMap<String, TreeEntry> copy = new TreeMap<>(tree);
        copy.replaceAll((p, e) -> e instanceof TreeEntry.File f && f.binary()
                ? new TreeEntry.File(f.bytes(), f.lenientText().replace('\0', '\uFFFD'), f.hash()) : e);
        return new ConfigTree(copy, meta);
    }

    /** This tree with some text files replaced or added; modes and owners stay with their paths. */
    public ConfigTree with(Map<String, String> changes) {
        TreeMap<String, TreeEntry> copy = new TreeMap<>(tree);
        changes.forEach((p, text) -> copy.put(p, TreeEntry.text(text)));
        return new ConfigTree(copy, meta);
    }

    /** Modes, owners and groups of files and directories that have any (path → meta); directories are implicit paths. */
    public SortedMap<String, FileMeta> meta() { return meta; }

    /** The mode and owner of a path ({@link FileMeta#NONE} when it has none). */
    public FileMeta meta(String path) {
        return meta.getOrDefault(path, FileMeta.NONE);
    }

    /**
     * This tree with these modes and owners instead of its own. Each path must be a file of the tree or one of its
     * directories (a link has no mode of its own on Linux); a mode that is the default of its kind is dropped, so a push
     * of 0644 files from disk is the same version as a push of the same files without modes.
     */
    public ConfigTree withMeta(Map<String, FileMeta> raw) {
        TreeMap<String, FileMeta> clean = new TreeMap<>();
        raw.forEach((rawPath, m) -> {
            String path = ConfigPaths.normalize(rawPath);
            TreeEntry e = tree.get(path);
            boolean directory = e == null && implicitDirectory(path);
            if (e == null && !directory) {
                throw new Problem(400, "invalid_meta", "mode or owner given for " + path + ", which is neither a file nor a directory "
                        + "of the tree", Map.of("path", path));
            }
            if (e instanceof TreeEntry.Link) {
                throw new Problem(400, "invalid_meta", "mode or owner given for the symlink " + path + ": a link has none of its own",
                        Map.of("path", path));
            }
            FileMeta n = m == null ? FileMeta.NONE : m.normalized(directory);
            if (!n.isNone()) clean.put(path, n);
        });
        return new ConfigTree(tree, Collections.unmodifiableSortedMap(clean));
    }

    /** Every directory of the tree (implicit: the parents of its entries), the root left out. */
    public NavigableSet<String> directories() {
        TreeSet<String> dirs = new TreeSet<>();
        for (String p : tree.keySet()) {
            // up to the first directory already known: its parents are known too
            String d = ConfigPaths.parent(p);
            while (!d.isEmpty() && dirs.add(d)) d = ConfigPaths.parent(d);
        }
        return Collections.unmodifiableNavigableSet(dirs);
    }

    /** True if the path is a directory of the tree (implicit: some entry lies below it), links not followed. */
    public boolean hasDirectory(String dir) {
        return !dir.isEmpty() && implicitDirectory(dir);
    }

    /** Bytes of all files (links not counted). */
    public long totalBytes() {
        long total = 0;
        for (TreeEntry e : tree.values()) {
            if (e instanceof TreeEntry.File f) total += f.size();
        }
        return total;
    }
}
