package dev.rollguard.validate;

import dev.rollguard.config.ConfigPaths;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.validate.TreeIndex.Presence;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Resolution of the references of one tree: tree-relative paths (through in-tree links), absolute paths through
 * the tree's mount point (the {@code deployPath}, or inferred from the tree's own absolute references: a tree whose
 * nginx.conf says {@code include /etc/nginx/mime.types} and that holds {@code mime.types} is /etc/nginx), look-ups
 * by the end of a path (PHP's include_path, prefixes we cannot evaluate) and near misses for "did you mean".
 */
final class References {
    enum Kind { FOUND, MISSING, UNKNOWN }

    /** {@code display} is what we tell people; {@code treePath} the normalized tree path we looked for (null if none). */
    record Resolution(Kind kind, String treePath, String display, boolean glob) {
        static Resolution unknown() { return new Resolution(Kind.UNKNOWN, null, null, false); }
    }

    private final TreeIndex index;
    private final ValidationSettings settings;
    private final String mount;
    private Map<String, List<String>> byName;
    private SuspiciousTokenValidator.DeletionIndex names;

    References(TreeIndex index, ValidationSettings settings, String mount) {
        this.index = index;
        this.settings = settings;
        this.mount = mount;
    }

    /** References of a tree mounted at the spec's {@code deployPath}, or where its absolute references say. */
    static References of(TreeIndex index, ValidationSettings settings, List<String> absoluteReferences) {
        return new References(index, settings, settings.deployPath() != null ? trimEndSlash(settings.deployPath())
                : inferMount(index, absoluteReferences));
    }

    TreeIndex index() { return index; }

    /** Where the tree lives on hosts, or null when neither the spec nor the tree says. */
    String mount() { return mount; }

    /**
     * The directory the tree is mounted at, voted for by absolute references whose tail the tree holds
     * ({@code /etc/nginx/mime.types} and a tree with {@code mime.types}: /etc/nginx). The longest tail wins within a
     * reference, the most votes across references; a tail must name a file (or a glob matching one), not just a directory.
     */
    static String inferMount(TreeIndex index, List<String> absoluteReferences) {
        Map<String, Integer> votes = new HashMap<>();
        for (String ref : absoluteReferences) {
            if (!ref.startsWith("/")) continue;
            String p = ref.replaceAll("/+", "/");
            for (int slash = 0; slash >= 0; slash = p.indexOf('/', slash + 1)) {
                String rest = MissingReferenceValidator.normalizeLenient(p.substring(slash + 1));
                if (rest == null || rest.isEmpty()) break;
                // a bare wildcard ("/etc/nginx/sites-enabled/*") would vote for any directory
                boolean hit = hasGlob(rest) ? !TreeIndex.fixedPart(rest).isEmpty() && index.glob(rest) == Presence.FOUND
                        : index.paths().contains(rest);
                if (hit) {
                    votes.merge(slash == 0 ? "/" : p.substring(0, slash), 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey).orElse(null);
    }

    Resolution absolute(String value) {
        if (mount != null) {
            String prefix = mount.equals("/") ? "/" : mount + "/";
            if (value.startsWith(prefix)) return inTree(value.substring(prefix.length()));
            if (value.equals(mount)) return new Resolution(Kind.FOUND, "", value, false);
        }
        if (settings.checkHostPaths() && !hasGlob(value)) {
            return Files.exists(Path.of(value)) ? new Resolution(Kind.FOUND, null, value, false)
                    : new Resolution(Kind.MISSING, null, value, false);
        }
        return Resolution.unknown();
    }

    /** A tree-relative path or glob; UNKNOWN when it climbs out of the tree or runs through a link leaving it. */
    Resolution inTree(String raw) {
        String normalized = MissingReferenceValidator.normalizeLenient(raw);
        if (normalized == null) return Resolution.unknown();
        boolean glob = hasGlob(normalized);
        Presence p = glob ? index.glob(normalized) : index.lookup(normalized);
        Kind kind = p == Presence.FOUND ? Kind.FOUND : p == Presence.MISSING ? Kind.MISSING : Kind.UNKNOWN;
        return new Resolution(kind, normalized, normalized, glob);
    }

    /** Whether some path of the tree ends with this relative path (PHP's include_path, a prefix we could not evaluate). */
    synchronized boolean existsWithTail(String tail) {
        String t = MissingReferenceValidator.normalizeLenient(tail);
        if (t == null || t.isEmpty()) return false;
        List<String> same = byName().get(basename(t));
        if (same == null) return false;
        for (String p : same) if (p.equals(t) || p.endsWith("/" + t)) return true;
        return false;
    }

    /**
     * The path of a file one edit away from a missing one whose directory ends like the missing one's: {@code
     * includes/Foo.php} for a missing {@code includes/Fo.php} under a prefix we cannot evaluate. Null when there is
     * none or more than one directory offers one (then we cannot tell which was meant).
     */
    synchronized String nearByTail(String tail) {
        String t = MissingReferenceValidator.normalizeLenient(tail);
        if (t == null || t.isEmpty()) return null;
        return near(basename(t), ConfigPaths.parent(t), false);
    }

    /** The one file of the tree, in any directory, whose name is one edit from {@code name}; null when none or several. */
    synchronized String nearByName(String name) {
        return name.isEmpty() || name.indexOf('/') >= 0 ? null : near(name, "", true);
    }

    private String near(String name, String dir, boolean anyDirectory) {
        if (name.length() < 4) return null;
        String found = null;
        for (String candidate : names().near(name, 1)) {
            if (!SuspiciousTokenValidator.plausibleTypo(name, candidate, false) || Text.distance(name, candidate, 1) > 1) continue;
            for (String p : byName().get(candidate)) {
                String pd = ConfigPaths.parent(p);
                if (!anyDirectory && !(dir.isEmpty() ? pd.isEmpty() : pd.equals(dir) || pd.endsWith("/" + dir))) continue;
                if (found != null && !found.equals(p)) return null;
                found = p;
            }
        }
        return found;
    }

    private Map<String, List<String>> byName() {
        if (byName == null) {
            byName = new HashMap<>();
            for (String p : index.paths()) byName.computeIfAbsent(basename(p), k -> new ArrayList<>(1)).add(p);
        }
        return byName;
    }

    private SuspiciousTokenValidator.DeletionIndex names() {
        if (names == null) {
            names = new SuspiciousTokenValidator.DeletionIndex(1);
            byName().keySet().forEach(names::add);
        }
        return names;
    }

    /** The existing file closest to a missing one: same directory, edit distance at most 2 on the name. */
    String nearestPath(String missing) {
        String dir = ConfigPaths.parent(missing);
        String name = basename(missing);
        String best = null;
        int bestDistance = Math.max(1, Math.min(2, name.length() / 4));
        String prefix = dir.isEmpty() ? "" : dir + "/";
        for (String p : index.paths().tailSet(prefix, true)) {
            if (!p.startsWith(prefix)) break;
            if (p.indexOf('/', prefix.length()) >= 0) continue;
            int d = Text.distance(name, basename(p), bestDistance);
            if (d <= bestDistance && (best == null || d < bestDistance)) {
                best = p;
                bestDistance = d;
            }
        }
        if (best == null && !dir.isEmpty() && index.lookup(dir) == Presence.MISSING) {
            // the directory itself is mistyped: a near directory holding the same name
            String nearDir = nearestDirectory(dir);
            if (nearDir != null && index.lookup(nearDir + "/" + name) == Presence.FOUND) return nearDir + "/" + name;
        }
        return best;
    }

    /** The existing directory one edit from a missing one, beside it. */
    String nearestDirectory(String missing) {
        String parent = ConfigPaths.parent(missing);
        String name = basename(missing);
        if (name.length() < 4) return null;
        String prefix = parent.isEmpty() ? "" : parent + "/";
        String last = null;
        for (String p : index.paths().tailSet(prefix, true)) {
            if (!p.startsWith(prefix)) break;
            int slash = p.indexOf('/', prefix.length());
            if (slash < 0) continue;
            String sub = p.substring(prefix.length(), slash);
            if (sub.equals(last)) continue;
            last = sub;
            if (Text.distance(name, sub, 1) <= 1 && !sub.equals(name)) return prefix + sub;
        }
        return null;
    }

    /** A missing reference as a finding, with "did you mean" and a mechanical fix when a near file exists. */
    Finding missing(String path, int line, int column, String message, Resolution r, FindingSeverity severity, String lineText) {
        String near = r.treePath() != null && !r.glob() ? nearestPath(r.treePath()) : null;
        return missing(path, line, column, message, near == null ? null : r.treePath(), near, severity, lineText);
    }

    static Finding missing(String path, int line, int column, String message, String wrong, String near, FindingSeverity severity, String lineText) {
        String suggestion = null;
        Fix fix = null;
        if (near != null) {
            suggestion = "did you mean '" + near + "'?";
            String wrongName = basename(wrong);
            String rightName = basename(near);
            if (!wrongName.equals(rightName) && lineText.contains(wrongName)) fix = new Fix(wrongName, rightName, path, true);
        }
        return Finding.of(MissingReferenceValidator.RULE, severity, path, line, column, message, suggestion, fix);
    }

    static String basename(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? p : p.substring(i + 1);
    }

    static String trimEndSlash(String s) {
        return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
    }

    static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    static String lower(String s) { return s.toLowerCase(Locale.ROOT); }
}
