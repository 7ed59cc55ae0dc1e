package dev.rollguard.validate;

import dev.rollguard.config.ConfigPaths;
import dev.rollguard.config.ConfigTree;

import java.util.NavigableSet;
import java.util.regex.Pattern;

/**
 * Which paths exist in a tree: text files, binary files and links, with in-tree links followed and
 * out-of-tree links opaque (anything below one may exist on the host). Built once per validation.
 */
final class TreeIndex {
    enum Presence { FOUND, MISSING, UNKNOWN }

    private final ConfigTree tree;
    private final NavigableSet<String> all;

    TreeIndex(ConfigTree tree) {
        this.tree = tree;
        this.all = tree.paths();
    }

    /** Every path: text files, binaries and links. */
    NavigableSet<String> paths() { return all; }

    ConfigTree tree() { return tree; }

    /** Whether a normalized tree path (no glob) is a file, a directory or a link, following in-tree links. */
    Presence lookup(String path) {
        if (path.isEmpty() || all.contains(path) || isDirectory(path)) return Presence.FOUND;
        // links the tree holds: followed inside the tree; one leaving it hides what is below
        ConfigTree.Resolution r = tree.resolve(path);
        if (r instanceof ConfigTree.Resolution.Found) return Presence.FOUND;
        return r instanceof ConfigTree.Resolution.Missing ? Presence.MISSING : Presence.UNKNOWN;
    }

    boolean isDirectory(String dir) {
        if (dir.isEmpty()) return true;
        String prefix = dir + "/";
        String next = all.ceiling(prefix);
        return next != null && next.startsWith(prefix);
    }

    /** Whether a glob (tree-relative, normalized) matches a path; UNKNOWN when its fixed part runs through an outside link. */
    Presence glob(String glob) {
        String fixed = fixedPart(glob);
        if (!fixed.isEmpty() && !isDirectory(fixed)) {
            ConfigTree.Resolution r = tree.resolve(fixed);
            if (r instanceof ConfigTree.Resolution.Found f && !f.path().equals(fixed)) return glob(join(f.path(), glob.substring(fixed.length() + 1)));
            if (r instanceof ConfigTree.Resolution.Outside || r instanceof ConfigTree.Resolution.Cycle) return Presence.UNKNOWN;
        }
        Pattern re = MissingReferenceValidator.globRegex(glob);
        String prefix = fixed.isEmpty() ? "" : fixed + "/";
        for (String p : all.tailSet(prefix, true)) {
            if (!p.startsWith(prefix)) break;
            if (re.matcher(p).matches()) return Presence.FOUND;
        }
        return Presence.MISSING;
    }

    /** The directories of a glob before its first wildcard. */
    static String fixedPart(String glob) {
        int wild = glob.length();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' || c == '?' || c == '[') {
                wild = i;
                break;
            }
        }
        return ConfigPaths.parent(glob.substring(0, wild) + "x");
    }

    private static String join(String dir, String rest) {
        String joined = dir.isEmpty() ? rest : dir + "/" + rest;
        String n = MissingReferenceValidator.normalizeLenient(joined);
        return n == null ? "" : n;
    }
}
