package dev.rollguard.config;

import dev.rollguard.Problem;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable set of text config files keyed by normalized relative path. Construction is the single
 * gate for bad input: traversal, binary content, oversize files and too many files are refused here,
 * so everything downstream can trust a tree.
 */
public final class ConfigTree {
    private final TreeMap<String, String> tree;
    private final SortedMap<String, String> files;
    private final Map<String, String> hashes;

    private ConfigTree(TreeMap<String, String> files) {
        this.tree = files;
        this.files = Collections.unmodifiableSortedMap(files);
        Map<String, String> h = new LinkedHashMap<>();
        files.forEach((p, c) -> h.put(p, Hashing.sha256(c)));
        this.hashes = Collections.unmodifiableMap(h);
    }

    public static ConfigTree of(Map<String, String> raw, Limits limits) {
        if (raw.size() > limits.maxFiles()) {
            throw new Problem(413, "too_many_files",
                    "tree has " + raw.size() + " files; the limit is " + limits.maxFiles());
        }
        TreeMap<String, String> files = new TreeMap<>();
        long total = 0;
        for (var e : raw.entrySet()) {
            String path = ConfigPaths.normalize(e.getKey());
            String content = e.getValue() == null ? "" : e.getValue();
            checkText(path, content);
            long size = content.getBytes(StandardCharsets.UTF_8).length;
            if (size > limits.maxFileBytes()) {
                throw new Problem(413, "file_too_large", "file " + path + " is " + size
                        + " bytes; the limit is " + limits.maxFileBytes(), Map.of("path", path));
            }
            total += size;
            if (total > limits.maxTreeBytes()) {
                throw new Problem(413, "tree_too_large", "tree is larger than " + limits.maxTreeBytes() + " bytes");
            }
            if (files.put(path, content) != null) {
                throw Problem.badRequest("duplicate_path", "path given twice after normalization: " + path);
            }
        }
        for (String path : files.keySet()) {
            // a file "a" and a file "a/b" cannot both exist on disk
            String parent = ConfigPaths.parent(path);
            while (!parent.isEmpty()) {
                if (files.containsKey(parent)) {
                    throw Problem.badRequest("invalid_path", "'" + parent + "' is both a file and a directory");
                }
                parent = ConfigPaths.parent(parent);
            }
        }
        return new ConfigTree(files);
    }

    public static ConfigTree of(Map<String, String> raw) {
        return of(raw, Limits.DEFAULT);
    }

    /** Decodes file bytes as UTF-8 text, refusing binary content with the stable code {@code binary_file}. */
    public static String decodeText(String path, byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) throw binary(path);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw binary(path);
        }
    }

    private static void checkText(String path, String content) {
        int controls = 0;
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if (c == 0) throw binary(path);
            if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b) controls++;
        }
        if (controls > 0 && controls * 100L > content.length()) throw binary(path);
    }

    private static Problem binary(String path) {
        return new Problem(415, "binary_file", "file " + path
                + " is not UTF-8 text; Rollguard manages text config files only", Map.of("path", path));
    }

    public NavigableSet<String> paths() { return Collections.unmodifiableNavigableSet(tree.navigableKeySet()); }
    public Map<String, String> files() { return files; }
    public Map<String, String> hashes() { return hashes; }
    public boolean contains(String path) { return files.containsKey(path); }
    public String content(String path) { return files.get(path); }
    public String hash(String path) { return hashes.get(path); }
    public int size() { return files.size(); }

    /** True if some file lives under this directory (directories exist only implicitly). */
    public boolean isDirectory(String dir) {
        if (dir.isEmpty()) return true;
        String prefix = dir + "/";
        String next = tree.ceilingKey(prefix);
        return next != null && next.startsWith(prefix);
    }

    /** Hash of the whole tree: stable over paths and contents, used to detect no-op pushes. */
    public String treeHash() {
        StringBuilder sb = new StringBuilder();
        hashes.forEach((p, h) -> sb.append(p).append('\0').append(h).append('\n'));
        return Hashing.sha256(sb.toString());
    }

    public ConfigTree with(Map<String, String> changes) {
        TreeMap<String, String> copy = new TreeMap<>(tree);
        copy.putAll(changes);
        return new ConfigTree(copy);
    }

    public long totalBytes() {
        return files.values().stream().mapToLong(c -> c.getBytes(StandardCharsets.UTF_8).length).sum();
    }
}
