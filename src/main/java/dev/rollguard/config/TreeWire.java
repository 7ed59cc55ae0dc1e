package dev.rollguard.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rollguard.Problem;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tree on the wire (a push, a bundle): one list of entries in one encoding. A file travels as base64 of its bytes,
 * text or not, with its SHA-256 and size, and its mode ("0755"), owner and group when it has any; a link travels as its
 * target. Directories with a mode or owner travel in a list of their own, which older agents ignore. The receiver checks
 * every hash, so a file arrives byte-exact or not at all.
 */
public final class TreeWire {
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String path, String sha256, Long size, String base64, String link, String mode, String owner, String group) {
        public Entry(String path, String sha256, Long size, String base64, String link) {
            this(path, sha256, size, base64, link, null, null, null);
        }

        public static Entry of(String path, TreeEntry e) {
            return of(path, e, FileMeta.NONE);
        }

        public static Entry of(String path, TreeEntry e, FileMeta m) {
            if (e instanceof TreeEntry.File f) {
                return new Entry(path, f.hash(), f.size(), Base64.getEncoder().encodeToString(f.bytes()), null, FileMeta.octal(m.mode()),
                        m.owner(), m.group());
            }
            TreeEntry.Link l = (TreeEntry.Link) e;
            return new Entry(path, l.hash(), null, null, l.target());
        }

        FileMeta meta() {
            return new FileMeta(FileMeta.parseMode(path, mode), owner, group);
        }

        /** The same entry carrying these bytes instead (people's masked view): hash, size and meta are the real file's. */
        public Entry withBase64(String b64) {
            return new Entry(path, sha256, size, b64, link, mode, owner, group);
        }
    }

    /** A directory's mode ("0750"), owner and group. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Directory(String path, String mode, String owner, String group) {
        FileMeta meta() {
            return new FileMeta(FileMeta.parseMode(path, mode), owner, group);
        }
    }

    /**
     * What an agent applies: a version's whole tree, and the hash of that tree (contents, modes and owners) to check it
     * arrived whole.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Bundle(String service, int version, String treeHash, List<Entry> entries,
                         @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Directory> directories) {
        public Bundle(String service, int version, String treeHash, List<Entry> entries) {
            this(service, version, treeHash, entries, null);
        }

        public static Bundle of(String service, int version, ConfigTree tree) {
            return new Bundle(service, version, tree.treeHash(), encode(tree), TreeWire.directories(tree));
        }

        /** The tree, every file's and link's hash verified against the bundle's, and the whole against its tree hash. */
        public ConfigTree verifiedTree() {
            ConfigTree tree = withMeta(decode(entries, true, UNBOUNDED), entries, directories);
            if (treeHash == null || !treeHash.equals(tree.treeHash())) {
                throw Problem.badRequest("hash_mismatch", "bundle of v" + version + " does not match its tree hash");
            }
            return tree;
        }
    }

    /**
     * A push or validate request's tree: {@code files} (path → text) and {@code entries} together, and the modes and owners
     * of {@code directories}.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Upload(Map<String, String> files, List<Entry> entries, List<Directory> directories) {
        public Upload(Map<String, String> files, List<Entry> entries) {
            this(files, entries, null);
        }

        public ConfigTree tree(Limits limits) {
            if (files == null && entries == null) {
                throw Problem.badRequest("missing_files", "request needs 'entries' (files as base64, links as targets) "
                        + "or 'files' (an object of path -> text)");
            }
            Map<String, TreeEntry> all = new LinkedHashMap<>();
            if (files != null) files.forEach((p, text) -> all.put(p, TreeEntry.text(text == null ? "" : text)));
            if (entries != null) {
                if (entries.size() > limits.maxFiles()) {
                    throw new Problem(413, "too_many_files", "tree has " + entries.size() + " files; the limit is " + limits.maxFiles());
                }
                add(all, entries, false, limits);
            }
            return withMeta(ConfigTree.ofEntries(all, limits), entries, directories);
        }
    }

    private static final Limits UNBOUNDED = new Limits(Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE);

    private TreeWire() {}

    public static List<Entry> encode(ConfigTree tree) {
        List<Entry> out = new ArrayList<>(tree.size());
        tree.entries().forEach((p, e) -> out.add(Entry.of(p, e, tree.meta(p))));
        return out;
    }

    /** The directories of a tree that have a mode or owner. */
    public static List<Directory> directories(ConfigTree tree) {
        List<Directory> out = new ArrayList<>();
        tree.meta().forEach((p, m) -> {
            if (tree.entry(p) == null) out.add(new Directory(p, FileMeta.octal(m.mode()), m.owner(), m.group()));
        });
        return out;
    }

    private static ConfigTree withMeta(ConfigTree tree, List<Entry> entries, List<Directory> directories) {
        Map<String, FileMeta> meta = new LinkedHashMap<>();
        if (entries != null) {
            for (Entry e : entries) {
                if (e.link() != null && (e.mode() != null || e.owner() != null || e.group() != null)) {
                    throw Problem.badRequest("invalid_meta", "symlink " + ConfigPaths.printable(e.path()) + " has a mode or owner: a link "
                            + "has none of its own");
                }
                if (e.link() == null && (e.mode() != null || e.owner() != null || e.group() != null)) meta.put(e.path(), e.meta());
            }
        }
        if (directories != null) {
            for (Directory d : directories) {
                if (d == null || d.path() == null) throw Problem.badRequest("invalid_entry", "every directory needs a 'path'");
                if (meta.put(d.path(), d.meta()) != null) {
                    throw Problem.badRequest("duplicate_path", "path given twice: " + ConfigPaths.printable(d.path()));
                }
            }
        }
        return meta.isEmpty() ? tree : tree.withMeta(meta);
    }

    static ConfigTree decode(List<Entry> entries, boolean hashRequired, Limits limits) {
        Map<String, TreeEntry> all = new LinkedHashMap<>();
        add(all, entries == null ? List.of() : entries, hashRequired, limits);
        return ConfigTree.ofEntries(all, limits);
    }

    private static void add(Map<String, TreeEntry> all, List<Entry> entries, boolean hashRequired, Limits limits) {
        for (Entry e : entries) {
            if (e == null || e.path() == null) throw Problem.badRequest("invalid_entry", "every entry needs a 'path'");
            if (all.put(e.path(), entry(e, hashRequired, limits)) != null) {
                throw Problem.badRequest("duplicate_path", "path given twice: " + ConfigPaths.printable(e.path()));
            }
        }
    }

    private static TreeEntry entry(Entry e, boolean hashRequired, Limits limits) {
        String path = ConfigPaths.printable(e.path());
        if ((e.base64() == null) == (e.link() == null)) {
            throw Problem.badRequest("invalid_entry", "entry " + path + " needs exactly one of 'base64' (a file) and 'link' (a symlink)");
        }
        TreeEntry entry;
        if (e.link() != null) {
            entry = TreeEntry.link(e.path(), e.link());
        } else {
            // checked before decoding: a huge file is refused without holding its bytes twice
            if (e.base64().length() / 4L * 3 - 2 > limits.maxFileBytes()) {
                throw new Problem(413, "file_too_large", "file " + path + " is larger than the limit of " + limits.maxFileBytes()
                        + " bytes", Map.of("path", e.path()));
            }
            try {
                entry = TreeEntry.file(Base64.getDecoder().decode(e.base64()));
            } catch (IllegalArgumentException ex) {
                throw Problem.badRequest("invalid_entry", "entry " + path + ": 'base64' is not base64 (" + ex.getMessage() + ")");
            }
        }
        if (hashRequired && e.sha256() == null || e.sha256() != null && !e.sha256().equalsIgnoreCase(entry.hash())) {
            throw Problem.badRequest("hash_mismatch", "content of " + path + " does not match its sha256");
        }
        if (e.size() != null && entry instanceof TreeEntry.File f && f.size() != e.size()) {
            throw Problem.badRequest("size_mismatch", "entry " + path + " is " + f.size() + " bytes, not " + e.size());
        }
        return entry;
    }
}
