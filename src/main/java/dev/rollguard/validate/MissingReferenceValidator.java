package dev.rollguard.validate;

import dev.rollguard.config.ConfigPaths;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.validate.References.Kind;
import dev.rollguard.validate.References.Resolution;
import dev.rollguard.validate.TreeIndex.Presence;

import java.util.ArrayList;
import java.util.Comparator;
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
 * References to files that do not exist: PHP require/include (with constants defined anywhere in the tree resolved,
 * absolute values mapped onto the tree through its mount point, include_path look-ups), Apache Include, nginx
 * include and path values in other config files ({@link ConfigReferences}). The seed's outage was exactly this:
 * {@code require ABSPATH . WPINC . '/x.phpp'}.
 */
public final class MissingReferenceValidator implements Validator {
    public static final String RULE = "missing-reference";

    private static final Pattern PHP_INCLUDE = Pattern.compile("(?<![\\w$>:\\\\])(require_once|include_once|require|include)\\b");
    private static final Pattern PHP_DEFINE = Pattern.compile("(?<![\\w$>:])define\\s*\\(\\s*(['\"])([A-Za-z_][A-Za-z0-9_]*)\\1\\s*,");
    private static final Pattern PHP_CONST = Pattern.compile("(?m)^\\s*const\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*=");
    private static final Pattern PHP_GUARD = Pattern.compile("(?<![\\w$>:])(file_exists|is_readable|is_file|stream_resolve_include_path)\\s*\\(");

    /** One require/include statement: where it is, what it says, and the values it may have (null: not static). */
    private record Include(String path, int offset, String keyword, String expr, Set<String> candidates, boolean optional) {
        Include evaluated(Map<String, Set<String>> constants) {
            return new Include(path, offset, keyword, expr, PhpExpressions.evaluate(expr, path, constants), optional);
        }
    }

    @Override
    public String id() { return RULE; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        Map<String, String> code = input.phpCode();
        ConfigTree tree = input.tree();
        Map<String, Set<String>> constants = constants(code, tree, input.cache());
        List<Include> includes = code.entrySet().parallelStream()
                .flatMap(e -> input.cache().get("php-includes", e.getKey(), tree.hash(e.getKey()), () -> includes(e.getKey(), e.getValue())).stream())
                .map(i -> i.evaluated(constants))
                .toList();
        List<String> absolute = new ArrayList<>(ConfigReferences.absoluteTargets(input.tree(), input.cache()));
        if (input.parent() != null) absolute.addAll(ConfigReferences.absoluteTargets(input.parent(), input.cache()));
        for (Include i : includes) {
            if (i.candidates() != null) i.candidates().stream().filter(c -> c.startsWith("/")).forEach(absolute::add);
        }
        References refs = References.of(input.index(), input.settings(), absolute);
        List<String> includePath = includes.isEmpty() ? List.of() : PhpIncludePath.directories(code, tree, constants, refs);
        List<Finding> out = new ArrayList<>(includes.parallelStream().map(i -> check(refs, i, includePath, input)).filter(f -> f != null).toList());
        out.addAll(new ConfigReferences(refs, input).findings());
        return out;
    }

    // ---------------------------------------------------------------- constants

    private static Map<String, Set<String>> constants(Map<String, String> code, ConfigTree tree, FileCache cache) {
        List<Definition> defs = code.entrySet().parallelStream().flatMap(e -> cache.get("php-defines", e.getKey(),
                tree.hash(e.getKey()), () -> definitions(e.getKey(), e.getValue())).stream())
                .sorted(Comparator.comparing(Definition::file).thenComparing(Definition::name)).toList();
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

    private record Definition(String name, String expr, String file) {}

    private static List<Definition> definitions(String path, String src) {
        List<Definition> found = new ArrayList<>();
        Matcher m = PHP_DEFINE.matcher(src);
        while (m.find()) {
            int open = src.lastIndexOf('(', m.start(2));
            int close = PhpExpressions.matchingParen(src, open);
            if (close > m.end()) found.add(new Definition(m.group(2), src.substring(m.end(), close), path));
        }
        Matcher c = PHP_CONST.matcher(src);
        while (c.find()) {
            int end = PhpExpressions.statementEnd(src, c.end());
            if (end > 0) found.add(new Definition(c.group(1), src.substring(c.end(), end), path));
        }
        return List.copyOf(found);
    }

    // ---------------------------------------------------------------- PHP includes

    /** The require/include statements of one file, not yet evaluated. */
    private static List<Include> includes(String path, String code) {
        List<Include> out = new ArrayList<>();
        Set<String> guarded = null;
        String bare = PhpSource.withoutStrings(code);
        Matcher m = PHP_INCLUDE.matcher(bare);
        while (m.find()) {
            int end = PhpExpressions.statementEnd(code, m.end());
            if (end < 0) continue;
            String expr = unparen(code.substring(m.end(), end).strip());
            // drop-ins such as wp-content/db.php: included only after file_exists() on the same path
            if (guarded == null) guarded = guardedPaths(code);
            if (guarded.contains(expr.replaceAll("\\s+", ""))) continue;
            // '@include' declares the file optional, like a condition: only a near miss is reported
            boolean silenced = m.start() > 0 && code.substring(Math.max(0, m.start() - 3), m.start()).strip().endsWith("@");
            out.add(new Include(path, m.start(), m.group(1), expr, null, silenced || PhpSource.conditional(bare, m.start())));
        }
        return List.copyOf(out);
    }

    private static Finding check(References refs, Include inc, List<String> includePath, ValidationInput input) {
        if (inc.candidates() == null) return checkTail(refs, inc, input);
        // a constant may have several definitions (ABSPATH: __DIR__ in wp-load.php, a host path in a distribution's
        // wp-config.php): any candidate found is fine; none found and one provably missing from the tree is a
        // finding; only unknowns is silence
        Resolution best = null;
        String near = null;
        for (String candidate : inc.candidates()) {
            Resolution r = resolvePhp(refs, inc.path(), candidate);
            if (r.kind() == Kind.FOUND) return null;
            if (r.kind() == Kind.UNKNOWN && !candidate.startsWith("/") && !candidate.startsWith(PhpExpressions.ROOT)
                    && !candidate.contains("://") && near == null) {
                near = nearMiss(refs, inc.path(), candidate, includePath);
                if (near != null) best = new Resolution(Kind.MISSING, candidate, candidate, false);
            }
            if (r.kind() == Kind.MISSING && best == null) best = r;
        }
        if (best == null) return null;
        if (near == null && best.treePath() != null) near = refs.nearestPath(best.treePath());
        // optional files (drop-ins, content populated at run time) are included conditionally or live in directories
        // the tree does not hold: only a near miss of an existing file is reported there
        boolean optional = inc.optional() || best.treePath() != null
                && refs.index().lookup(ConfigPaths.parent(best.treePath())) != Presence.FOUND;
        if (optional && near == null) return null;
        String what = inc.keyword() + " of '" + best.display() + "'";
        if (!inc.expr().startsWith("'") && !inc.expr().startsWith("\"")) what += " (" + inc.expr().replaceAll("\\s+", " ") + ")";
        return finding(inc, input, what + ": no such file", best.treePath(), near);
    }

    /**
     * The file a relative include found nowhere in the tree was probably meant to name, or null. {@code ./} and
     * {@code ../} are relative to the working directory only (PHP skips the include_path for them): the entry
     * script's directory, often the including file's own, else anywhere the rest of the path fits. Other relative
     * paths are looked up on the include_path: its directories in the tree, the including file's directory, and for
     * a bare name, any directory holding exactly one file a typo away ({@code Setp.php} beside {@code
     * includes/Setup.php}).
     */
    private static String nearMiss(References refs, String from, String value, List<String> includePath) {
        String dir = ConfigPaths.parent(from);
        String climbed = withoutLeadingDots(value);
        if (climbed != null) {
            String local = normalizeLenient(join(dir, value));
            String near = local == null || local.isEmpty() ? null : refs.nearestPath(local);
            return near != null ? near : refs.nearByTail(climbed);
        }
        String near = refs.nearByTail(value);
        if (near != null) return near;
        Set<String> hits = new LinkedHashSet<>();
        for (String d : includePath) {
            String n = refs.nearestPath(join(d, value));
            if (n != null) hits.add(n);
        }
        if (!hits.isEmpty()) return hits.size() == 1 ? hits.iterator().next() : null;
        if (value.indexOf('/') >= 0) return null;
        near = refs.nearestPath(join(dir, value));
        return near != null ? near : refs.nearByName(value);
    }

    /** The rest of a {@code ./} or {@code ../} path once its leading dot segments are dropped; null for other paths. */
    static String withoutLeadingDots(String value) {
        if (!value.startsWith("./") && !value.startsWith("../")) return null;
        String rest = value;
        while (rest.startsWith("./") || rest.startsWith("../")) rest = rest.substring(rest.indexOf('/') + 1).replaceFirst("^/+", "");
        return normalizeLenient(rest);
    }

    private static String join(String dir, String rest) {
        return dir.isEmpty() ? rest : dir + "/" + rest;
    }

    /**
     * An include whose prefix we cannot evaluate ({@code $IP . '/includes/Setup.php'}): its literal end must be
     * the end of some path in the tree; when it is not, and exactly one file one edit away is, that is a typo.
     */
    private static Finding checkTail(References refs, Include inc, ValidationInput input) {
        List<String> terms = PhpExpressions.splitConcat(inc.expr());
        if (terms == null) return null;
        StringBuilder tail = new StringBuilder();
        for (int i = terms.size() - 1; i >= 0; i--) {
            String t = terms.get(i).strip();
            if (t.length() < 2 || t.charAt(0) != '\'' && t.charAt(0) != '"' || t.charAt(0) == '"' && t.indexOf('$') >= 0) {
                // "$IP/includes/x.php": the part after the last variable is still a literal tail
                int dollar = t.lastIndexOf('$');
                if (t.startsWith("\"") && t.endsWith("\"") && dollar >= 0) {
                    int slash = t.indexOf('/', dollar);
                    if (slash > 0 && t.substring(slash, t.length() - 1).matches("[A-Za-z0-9_./-]+")) tail.insert(0, t.substring(slash, t.length() - 1));
                }
                break;
            }
            Set<String> v = PhpExpressions.evaluate(t, inc.path(), Map.of());
            if (v == null || v.size() != 1) return null;
            tail.insert(0, v.iterator().next());
        }
        String s = tail.toString();
        // without a directory in the literal part, the file could be in any directory: nothing to compare with
        String relative = s.startsWith("/") ? s.substring(1) : s;
        if (relative.indexOf('/') < 0 || !s.substring(s.lastIndexOf('/') + 1).matches("[A-Za-z0-9_.-]+\\.[A-Za-z0-9]+")) return null;
        if (relative.contains("..") || refs.existsWithTail(relative)) return null;
        String near = refs.nearByTail(relative);
        if (near == null) return null;
        return finding(inc, input, inc.keyword() + " of '…" + s + "' (" + inc.expr().replaceAll("\\s+", " ") + "): no file ends so", relative, near);
    }

    private static Finding finding(Include inc, ValidationInput input, String message, String wrong, String near) {
        String content = input.tree().content(inc.path());
        int[] lines = Text.lineStarts(content);
        int line = Text.lineOf(lines, inc.offset());
        return References.missing(inc.path(), line, Text.columnOf(lines, inc.offset()), message, wrong, near, FindingSeverity.ERROR,
                lineText(content, lines, line));
    }

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

    /**
     * PHP's order for a relative path: the include_path (".": the working directory, usually the tree root; then
     * library directories, which we look up by the path's end anywhere in the tree), then the including script's own
     * directory. A relative path found nowhere in the tree is a system library (PEAR.php): unknown, not missing.
     */
    private static Resolution resolvePhp(References refs, String from, String value) {
        if (value.startsWith(PhpExpressions.ROOT)) return refs.inTree(value.substring(PhpExpressions.ROOT.length()));
        if (value.startsWith("/")) return refs.absolute(value);
        if (value.isEmpty() || value.contains("://")) return Resolution.unknown();
        Resolution fromRoot = refs.inTree(value);
        if (fromRoot.kind() == Kind.FOUND) return fromRoot;
        Resolution fromDir = refs.inTree(ConfigPaths.parent(from) + "/" + value);
        if (fromDir.kind() == Kind.FOUND) return fromDir;
        // './' and '../' follow the working directory: the entry script's, which may be any directory of the tree
        String climbed = withoutLeadingDots(value);
        if (refs.existsWithTail(climbed != null ? climbed : value)) return new Resolution(Kind.FOUND, null, value, false);
        return Resolution.unknown();
    }

    static String lineText(String content, int[] lines, int line) {
        int start = lines[line - 1];
        int end = line < lines.length ? lines[line] - 1 : content.length();
        return content.substring(start, Math.max(start, end));
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

    static String extension(String path) {
        String name = References.basename(path);
        int i = name.lastIndexOf('.');
        return i <= 0 ? "" : name.substring(i + 1).toLowerCase(Locale.ROOT);
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
