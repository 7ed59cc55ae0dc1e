package dev.rollguard.validate;

import dev.rollguard.config.ConfigPaths;
import dev.rollguard.config.ConfigTree;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * References to files that do not exist: PHP require/include (with constants defined anywhere in the
 * tree resolved), Apache Include, nginx include, and path values ("./x", or below the deploy path) in
 * other config files. The seed's outage was exactly this: {@code require ABSPATH . WPINC . '/x.phpp'}.
 */
public final class MissingReferenceValidator implements Validator {
    public static final String RULE = "missing-reference";

    private static final Pattern PHP_INCLUDE = Pattern.compile("(?<![\\w$>:\\\\])(require_once|include_once|require|include)\\b");
    private static final Pattern PHP_DEFINE = Pattern.compile("(?<![\\w$>:])define\\s*\\(\\s*(['\"])([A-Za-z_][A-Za-z0-9_]*)\\1\\s*,");
    private static final Pattern PHP_CONST = Pattern.compile("(?m)^\\s*const\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*=");
    private static final Pattern APACHE_INCLUDE = Pattern.compile("(?im)^[ \\t]*(Include|IncludeOptional)[ \\t]+(\"?)([^\"\\s]+)\\2[ \\t]*$");
    private static final Pattern NGINX_INCLUDE = Pattern.compile("(?m)^[ \\t]*include[ \\t]+([\"']?)([^;\"'\\s]+)\\1[ \\t]*;");
    private static final Pattern PATH_VALUE = Pattern.compile("(?<=[=:\\s\"'(,])(\\./[^\\s\"',;)]+)");
    private static final Pattern INCLUDE_LINE = Pattern.compile("(?i)^\\s*(include|includeoptional)\\s+[\"']?$");
    private static final Set<String> PHP_EXT = Set.of("php", "inc", "phtml", "php5", "php7", "php8");
    private static final Set<String> VALUE_FILES = Set.of("yaml", "yml", "json", "ini", "properties", "conf", "toml", "env", "cfg", "xml");

    @Override
    public String id() { return RULE; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        ConfigTree tree = input.tree();
        Map<String, String> code = new HashMap<>();
        for (String path : tree.textPaths()) {
            if (PHP_EXT.contains(extension(path))) code.put(path, PhpSource.codeOnly(tree.content(path)));
        }
        Map<String, Set<String>> constants = constants(code);
        List<Finding> out = new ArrayList<>();
        for (String path : tree.textPaths()) {
            String content = tree.content(path);
            if (code.containsKey(path)) {
                phpIncludes(input, path, content, code.get(path), constants, out);
            } else {
                apacheIncludes(input, path, content, out);
                nginxIncludes(input, path, content, out);
                if (VALUE_FILES.contains(extension(path))) pathValues(input, path, content, out);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- PHP

    private static Map<String, Set<String>> constants(Map<String, String> code) {
        record Definition(String name, String expr, String file) {}
        List<Definition> defs = new ArrayList<>();
        code.forEach((path, src) -> {
            Matcher m = PHP_DEFINE.matcher(src);
            while (m.find()) {
                int open = src.lastIndexOf('(', m.start(2));
                int close = PhpExpressions.matchingParen(src, open);
                if (close > m.end()) defs.add(new Definition(m.group(2), src.substring(m.end(), close), path));
            }
            Matcher c = PHP_CONST.matcher(src);
            while (c.find()) {
                int end = PhpExpressions.statementEnd(src, c.end());
                if (end > 0) defs.add(new Definition(c.group(1), src.substring(c.end(), end), path));
            }
        });
        Map<String, Set<String>> table = new HashMap<>();
        // constants are defined from other constants (WP_CONTENT_DIR from ABSPATH): iterate to a fixed point
        for (int pass = 0; pass < 5; pass++) {
            boolean changed = false;
            for (Definition d : defs) {
                Set<String> values = PhpExpressions.evaluate(d.expr, d.file, table);
                if (values == null) continue;
                Set<String> known = table.computeIfAbsent(d.name, k -> new LinkedHashSet<>());
                for (String v : values) {
                    if (known.size() < 8 && known.add(v)) changed = true;
                }
            }
            if (!changed) break;
        }
        return table;
    }

    private void phpIncludes(ValidationInput input, String path, String content, String code,
                             Map<String, Set<String>> constants, List<Finding> out) {
        int[] lines = null;
        Set<String> guarded = null;
        String bare = PhpSource.withoutStrings(code);
        Matcher m = PHP_INCLUDE.matcher(bare);
        while (m.find()) {
            int end = PhpExpressions.statementEnd(code, m.end());
            if (end < 0) continue;
            // '@include' declares the file optional
            if (m.start() > 0 && code.substring(Math.max(0, m.start() - 3), m.start()).strip().endsWith("@")) continue;
            String expr = unparen(code.substring(m.end(), end).strip());
            // drop-ins such as wp-content/db.php: included only after file_exists() on the same path
            if (guarded == null) guarded = guardedPaths(code);
            if (guarded.contains(expr.replaceAll("\\s+", ""))) continue;
            Set<String> candidates = PhpExpressions.evaluate(expr, path, constants);
            if (candidates == null) continue;
            // a constant may have several definitions (ABSPATH: __DIR__ in wp-load.php, a host path in a
            // distribution's wp-config.php): any candidate found is fine; none found and one provably missing
            // from the tree is a finding; only unknowns is silence
            Resolution best = null;
            boolean found = false;
            for (String candidate : candidates) {
                Resolution r = resolvePhp(input, path, candidate);
                if (r.kind == Kind.FOUND) {
                    found = true;
                    break;
                }
                if (r.kind != Kind.UNKNOWN && best == null) best = r;
            }
            if (found || best == null) continue;
            // optional files (drop-ins, content populated at run time) are included conditionally or live in
            // directories the tree does not hold: only a near-miss of an existing file is reported there
            boolean optional = PhpSource.conditional(bare, m.start())
                    || best.treePath != null && !input.tree().isDirectory(ConfigPaths.parent(best.treePath));
            if (optional && (best.treePath == null || nearestPath(input.tree(), best.treePath) == null)) continue;
            if (lines == null) lines = Text.lineStarts(content);
            int line = Text.lineOf(lines, m.start());
            int column = Text.columnOf(lines, m.start());
            String what = m.group(1) + " of '" + best.display + "'";
            if (!expr.strip().startsWith("'") && !expr.strip().startsWith("\"")) what += " (" + expr.strip().replaceAll("\\s+", " ") + ")";
            Severity severity = best.kind == Kind.MISSING_RELATIVE ? Severity.WARNING : Severity.ERROR;
            out.add(missing(input.tree(), path, line, column, what + ": no such file", best, severity, content, lines));
        }
    }

    private static final Pattern PHP_GUARD = Pattern.compile("(?<![\\w$>:])(file_exists|is_readable|is_file|stream_resolve_include_path)\\s*\\(");

    /** Expressions (white space removed) that this file tests for existence somewhere. */
    private static Set<String> guardedPaths(String code) {
        Set<String> out = new HashSet<>();
        Matcher g = PHP_GUARD.matcher(code);
        while (g.find()) {
            int open = g.end() - 1;
            int close = PhpExpressions.matchingParen(code, open);
            if (close > open) out.add(unparen(code.substring(open + 1, close).strip()).replaceAll("\\s+", ""));
        }
        return out;
    }

    private static String unparen(String expr) {
        String e = expr;
        while (e.startsWith("(") && PhpExpressions.matchingParen(e, 0) == e.length() - 1) e = e.substring(1, e.length() - 1).strip();
        return e;
    }

    private Resolution resolvePhp(ValidationInput input, String from, String value) {
        if (value.startsWith(PhpExpressions.ROOT)) {
            return inTree(input.tree(), value.substring(PhpExpressions.ROOT.length()), Kind.MISSING);
        }
        if (value.startsWith("/")) return absolute(input, value);
        if (value.isEmpty() || value.contains("://")) return Resolution.unknown();
        // PHP tries the include_path (".": the working directory, usually the tree root) and then the
        // including script's own directory
        Resolution fromRoot = inTree(input.tree(), value, Kind.MISSING_RELATIVE);
        if (fromRoot.kind != Kind.MISSING_RELATIVE) return fromRoot;
        Resolution fromDir = inTree(input.tree(), ConfigPaths.parent(from) + "/" + value, Kind.MISSING_RELATIVE);
        return fromDir.kind == Kind.MISSING_RELATIVE ? fromRoot : fromDir;
    }

    // ---------------------------------------------------------------- Apache, nginx, plain values

    private void apacheIncludes(ValidationInput input, String path, String content, List<Finding> out) {
        Matcher m = APACHE_INCLUDE.matcher(content);
        int[] lines = null;
        while (m.find()) {
            boolean optional = m.group(1).toLowerCase(Locale.ROOT).equals("includeoptional");
            String target = m.group(3);
            if (target.endsWith(";")) continue; // nginx syntax, checked by nginxIncludes
            Resolution r = target.startsWith("/") ? absolute(input, target) : inTree(input.tree(), target, Kind.MISSING);
            // IncludeOptional exists precisely to tolerate missing files
            if (optional || r.kind == Kind.FOUND || r.kind == Kind.UNKNOWN) continue;
            if (lines == null) lines = Text.lineStarts(content);
            int line = Text.lineOf(lines, m.start(3));
            out.add(missing(input.tree(), path, line, Text.columnOf(lines, m.start(3)),
                    m.group(1) + " of '" + target + "': " + (r.glob ? "wildcard matches no file" : "no such file"),
                    r, Severity.ERROR, content, lines));
        }
    }

    private void nginxIncludes(ValidationInput input, String path, String content, List<Finding> out) {
        Matcher m = NGINX_INCLUDE.matcher(content);
        int[] lines = null;
        while (m.find()) {
            String target = m.group(2);
            Resolution r;
            if (target.startsWith("/")) {
                r = absolute(input, target);
            } else {
                r = inTree(input.tree(), target, Kind.MISSING);
                if (r.kind == Kind.MISSING) {
                    Resolution local = inTree(input.tree(), ConfigPaths.parent(path) + "/" + target, Kind.MISSING);
                    if (local.kind != Kind.MISSING) r = local;
                }
            }
            // nginx accepts a wildcard that matches nothing
            if (r.kind == Kind.FOUND || r.kind == Kind.UNKNOWN || r.glob) continue;
            if (lines == null) lines = Text.lineStarts(content);
            int line = Text.lineOf(lines, m.start(2));
            out.add(missing(input.tree(), path, line, Text.columnOf(lines, m.start(2)),
                    "include of '" + target + "': no such file", r, Severity.ERROR, content, lines));
        }
    }

    private void pathValues(ValidationInput input, String path, String content, List<Finding> out) {
        List<Matcher> matchers = new ArrayList<>();
        matchers.add(PATH_VALUE.matcher(content));
        String deploy = input.settings().deployPath();
        if (deploy != null) {
            matchers.add(Pattern.compile("(?<=[=:\\s\"'(,])(" + Pattern.quote(trimEndSlash(deploy)) + "/[^\\s\"',;)]*)").matcher(content));
        }
        int[] lines = null;
        for (Matcher m : matchers) {
            while (m.find()) {
                String value = m.group(1);
                int lineStart = content.lastIndexOf('\n', m.start()) + 1;
                if (INCLUDE_LINE.matcher(content.substring(lineStart, m.start())).matches()) continue;
                Resolution r = value.startsWith("/") ? absolute(input, value)
                        : inTree(input.tree(), ConfigPaths.parent(path) + "/" + value, Kind.MISSING);
                if (r.kind == Kind.FOUND || r.kind == Kind.UNKNOWN) continue;
                if (lines == null) lines = Text.lineStarts(content);
                int line = Text.lineOf(lines, m.start(1));
                out.add(missing(input.tree(), path, line, Text.columnOf(lines, m.start(1)),
                        "path '" + value + "' refers to no file in the tree", r, Severity.ERROR, content, lines));
            }
        }
    }

    // ---------------------------------------------------------------- resolution

    private enum Kind { FOUND, MISSING, MISSING_RELATIVE, UNKNOWN }

    /** {@code display} is what we tell people; {@code treePath} the normalized path we looked for. */
    private record Resolution(Kind kind, String treePath, String display, boolean glob) {
        static Resolution unknown() { return new Resolution(Kind.UNKNOWN, null, null, false); }
    }

    private Resolution absolute(ValidationInput input, String value) {
        String deploy = input.settings().deployPath();
        if (deploy != null) {
            String prefix = trimEndSlash(deploy) + "/";
            if (value.startsWith(prefix)) return inTree(input.tree(), value.substring(prefix.length()), Kind.MISSING);
            if (value.equals(trimEndSlash(deploy))) return new Resolution(Kind.FOUND, "", value, false);
        }
        if (input.settings().checkHostPaths() && !hasGlob(value)) {
            return Files.exists(Path.of(value)) ? new Resolution(Kind.FOUND, null, value, false)
                    : new Resolution(Kind.MISSING, null, value, false);
        }
        return Resolution.unknown();
    }

    private static Resolution inTree(ConfigTree tree, String raw, Kind missingKind) {
        String normalized = normalizeLenient(raw);
        if (normalized == null) return Resolution.unknown(); // climbs out of the tree
        if (hasGlob(normalized)) {
            Pattern glob = globRegex(normalized);
            boolean any = tree.paths().stream().anyMatch(p -> glob.matcher(p).matches());
            return new Resolution(any ? Kind.FOUND : missingKind, normalized, normalized, true);
        }
        boolean found = normalized.isEmpty() || tree.contains(normalized) || tree.isDirectory(normalized);
        return new Resolution(found ? Kind.FOUND : missingKind, normalized, normalized, false);
    }

    /** Resolves '.' and '..'; null if the path climbs above the root. */
    static String normalizeLenient(String raw) {
        List<String> parts = new ArrayList<>();
        for (String part : raw.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (parts.isEmpty()) return null;
                parts.remove(parts.size() - 1);
            } else {
                parts.add(part);
            }
        }
        return String.join("/", parts);
    }

    private Finding missing(ConfigTree tree, String path, int line, int column, String message, Resolution r,
                            Severity severity, String content, int[] lines) {
        String suggestion = null;
        Fix fix = null;
        if (r.treePath != null && !r.glob) {
            String near = nearestPath(tree, r.treePath);
            if (near != null) {
                suggestion = "did you mean '" + near + "'?";
                String wrongName = basename(r.treePath);
                String rightName = basename(near);
                String lineText = lineText(content, lines, line);
                if (!wrongName.equals(rightName) && lineText.contains(wrongName)) {
                    fix = new Fix(wrongName, rightName, path, true);
                }
            }
        }
        return Finding.of(RULE, severity, path, line, column, message, suggestion, fix);
    }

    /** The existing file closest to a missing one: same directory first, edit distance at most 2 on the name. */
    static String nearestPath(ConfigTree tree, String missing) {
        String dir = ConfigPaths.parent(missing);
        String name = basename(missing);
        String best = null;
        int bestDistance = Math.max(1, Math.min(2, name.length() / 4));
        String prefix = dir.isEmpty() ? "" : dir + "/";
        for (String p : tree.paths().tailSet(prefix, true)) {
            if (!p.startsWith(prefix)) break;
            if (p.indexOf('/', prefix.length()) >= 0) continue;
            int d = Text.distance(name, basename(p), bestDistance);
            if (d <= bestDistance && (best == null || d < bestDistance)) {
                best = p;
                bestDistance = d;
            }
        }
        return best;
    }

    private static String lineText(String content, int[] lines, int line) {
        int start = lines[line - 1];
        int end = line < lines.length ? lines[line] - 1 : content.length();
        return content.substring(start, Math.max(start, end));
    }

    private static String basename(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? p : p.substring(i + 1);
    }

    static String extension(String path) {
        String name = basename(path);
        int i = name.lastIndexOf('.');
        return i <= 0 ? "" : name.substring(i + 1).toLowerCase(Locale.ROOT);
    }

    private static String trimEndSlash(String s) {
        return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
    }

    static Pattern globRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    re.append(".*");
                    i++;
                } else {
                    re.append("[^/]*");
                }
            } else if (c == '?') {
                re.append("[^/]");
            } else if (c == '[') {
                int close = glob.indexOf(']', i);
                if (close < 0) {
                    re.append("\\[");
                } else {
                    re.append('[').append(glob, i + 1, close).append(']');
                    i = close;
                }
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        // a directory matched by the glob includes every file below it
        return Pattern.compile(re + "(/.*)?");
    }
}
