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
 * text or not, with its SHA-256 and size; a link travels as its target. The receiver checks every hash, so a file
 * arrives byte-exact or not at all.
 */
public final class TreeWire {
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String path, String sha256, Long size, String base64, String link) {
        public static Entry of(String path, TreeEntry e) {
            if (e instanceof TreeEntry.File f) {
                return new Entry(path, f.hash(), f.size(), Base64.getEncoder().encodeToString(f.bytes()), null);
            }
            TreeEntry.Link l = (TreeEntry.Link) e;
            return new Entry(path, l.hash(), null, null, l.target());
        }
    }

    /** What an agent applies: a version's whole tree, and the hash of that tree to check it arrived whole. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Bundle(String service, int version, String treeHash, List<Entry> entries) {
        public static Bundle of(String service, int version, ConfigTree tree) {
            return new Bundle(service, version, tree.treeHash(), encode(tree));
        }

        /** The tree, every file's and link's hash verified against the bundle's, and the whole against its tree hash. */
        public ConfigTree verifiedTree() {
            ConfigTree tree = decode(entries, true, UNBOUNDED);
            if (treeHash == null || !treeHash.equals(tree.treeHash())) {
                throw Problem.badRequest("hash_mismatch", "bundle of v" + version + " does not match its tree hash");
            }
            return tree;
        }
    }

    /** A push or validate request's tree: {@code files} (path → text) and {@code entries} together. */
    public record Upload(Map<String, String> files, List<Entry> entries) {
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
            return ConfigTree.ofEntries(all, limits);
        }
    }

    private static final Limits UNBOUNDED = new Limits(Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE);

    private TreeWire() {}

    public static List<Entry> encode(ConfigTree tree) {
        List<Entry> out = new ArrayList<>(tree.size());
        tree.entries().forEach((p, e) -> out.add(Entry.of(p, e)));
        return out;
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
