package dev.rollguard.config;

import dev.rollguard.Problem;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.WireEntry;

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
    /** A tree's entry as it travels. */
    public static WireEntry entry(String path, TreeEntry e) {
        if (e instanceof TreeEntry.File f) {
            return new WireEntry(path, f.hash(), f.size(), Base64.getEncoder().encodeToString(f.bytes()), null);
        }
        TreeEntry.Link l = (TreeEntry.Link) e;
        return new WireEntry(path, l.hash(), null, null, l.target());
    }

    /** The bundle of a tree that renders the same for every host. */
    public static AgentProtocol.Bundle bundle(String service, int version, ConfigTree tree) {
        return new AgentProtocol.Bundle(service, version, tree.treeHash(), encode(tree));
    }

    /** The bundle's tree, every file's and link's hash verified against the bundle's, and the whole against its tree hash. */
    public static ConfigTree verifiedTree(AgentProtocol.Bundle bundle) {
        ConfigTree tree = decode(bundle.entries(), true, UNBOUNDED);
        if (bundle.treeHash() == null || !bundle.treeHash().equals(tree.treeHash())) {
            throw Problem.badRequest("hash_mismatch", "bundle of v" + bundle.version() + " does not match its tree hash");
        }
        return tree;
    }

    /** A push or validate request's tree: {@code files} (path → text) and {@code entries} together. */
    public record Upload(Map<String, String> files, List<WireEntry> entries) {
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

    public static List<WireEntry> encode(ConfigTree tree) {
        List<WireEntry> out = new ArrayList<>(tree.size());
        tree.entries().forEach((p, e) -> out.add(entry(p, e)));
        return out;
    }

    static ConfigTree decode(List<WireEntry> entries, boolean hashRequired, Limits limits) {
        Map<String, TreeEntry> all = new LinkedHashMap<>();
        add(all, entries == null ? List.of() : entries, hashRequired, limits);
        return ConfigTree.ofEntries(all, limits);
    }

    private static void add(Map<String, TreeEntry> all, List<WireEntry> entries, boolean hashRequired, Limits limits) {
        for (WireEntry e : entries) {
            if (e == null || e.path() == null) throw Problem.badRequest("invalid_entry", "every entry needs a 'path'");
            if (all.put(e.path(), entry(e, hashRequired, limits)) != null) {
                throw Problem.badRequest("duplicate_path", "path given twice: " + ConfigPaths.printable(e.path()));
            }
        }
    }

    private static TreeEntry entry(WireEntry e, boolean hashRequired, Limits limits) {
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
