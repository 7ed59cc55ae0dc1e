package dev.rollguard.config;

import dev.rollguard.Problem;

import java.nio.charset.StandardCharsets;

/** Canonical form of a path inside a config tree: relative, '/'-separated, no '.', '..' or empty parts. */
public final class ConfigPaths {
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_PATH_BYTES = 1024;

    private ConfigPaths() {}

    public static String normalize(String raw) {
        if (raw == null || raw.isBlank()) {
            throw Problem.badRequest("invalid_path", "empty file path");
        }
        if (raw.indexOf('\0') >= 0 || raw.chars().anyMatch(c -> c < 0x20)) {
            throw Problem.badRequest("invalid_path", "file path contains control characters: " + printable(raw));
        }
        String p = raw.replace('\\', '/');
        if (p.startsWith("/") || p.matches("^[A-Za-z]:/.*")) {
            throw Problem.badRequest("path_traversal", "absolute file path not allowed: " + printable(raw));
        }
        StringBuilder out = new StringBuilder();
        for (String part : p.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                throw Problem.badRequest("path_traversal", "file path escapes the tree: " + printable(raw));
            }
            // what agents' file systems hold: a name of at most 255 bytes (ext4, XFS, btrfs, tmpfs), the whole path within
            // PATH_MAX (4096) with room for the agent's target directory
            if (part.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw Problem.badRequest("invalid_path", "file name longer than " + MAX_NAME_BYTES + " bytes (what file systems hold): "
                        + printable(raw));
            }
            if (out.length() > 0) out.append('/');
            out.append(part);
        }
        if (out.length() == 0) throw Problem.badRequest("invalid_path", "empty file path: " + printable(raw));
        if (out.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw Problem.badRequest("invalid_path", "file path longer than " + MAX_PATH_BYTES + " bytes");
        }
        return out.toString();
    }

    /** Directory part of a normalized path, "" for files at the root. */
    public static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i < 0 ? "" : path.substring(0, i);
    }

    static String printable(String s) {
        String t = s.length() > 120 ? s.substring(0, 120) + "…" : s;
        return "'" + t.replaceAll("\\p{Cntrl}", "?") + "'";
    }
}
