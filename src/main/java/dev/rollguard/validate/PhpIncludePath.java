package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.validate.References.Kind;
import dev.rollguard.validate.References.Resolution;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tree directories a PHP application puts on its include_path, where a relative {@code require 'Foo/Bar.php'}
 * is looked up: {@code set_include_path(...)} and {@code ini_set('include_path', ...)} in the code (with
 * {@code get_include_path()} and {@code PATH_SEPARATOR} as separators, constants and {@code __DIR__} evaluated), and
 * {@code php_value include_path} (Apache, .htaccess), {@code php_admin_value[include_path]} (php-fpm pools) and
 * {@code include_path =} (php.ini, .user.ini) in the tree's config files. Directories outside the tree (PEAR's
 * /usr/share/php) are left out: what lives there is unknown, never missing.
 */
final class PhpIncludePath {
    private static final Pattern SET_CALL = Pattern.compile("(?<![\\w$>:])(?:set_include_path\\s*\\(|ini_set\\s*\\(\\s*(['\"])include_path\\1\\s*,)");
    private static final Pattern CONFIG = Pattern.compile(
            "(?m)^[ \\t]*(?:php_(?:admin_)?value[ \\t]+include_path[ \\t]+|php_(?:admin_)?value\\[include_path][ \\t]*=[ \\t]*|include_path[ \\t]*=[ \\t]*)"
                    + "[\"']?([^\"'\\r\\n;]+)");
    private static final Pattern SEPARATOR = Pattern.compile("\\\\?get_include_path\\s*\\(\\s*\\)|\\\\?PATH_SEPARATOR");
    private static final Pattern JOIN = Pattern.compile("^\\\\?(?:implode|join)\\s*\\(\\s*\\\\?PATH_SEPARATOR\\s*,\\s*(?:array\\s*\\(|\\[)(.*)[)\\]]\\s*\\)$", Pattern.DOTALL);

    private PhpIncludePath() {}

    /** The include_path directories inside the tree, tree-relative ("" is the root), sorted. */
    static List<String> directories(Map<String, String> phpCode, ConfigTree tree, Map<String, Set<String>> constants, References refs) {
        Set<String> dirs = new TreeSet<>();
        for (Map.Entry<String, String> e : phpCode.entrySet()) {
            String code = e.getValue();
            if (!code.contains("include_path")) continue;
            String bare = PhpSource.withoutStrings(code);
            Matcher m = SET_CALL.matcher(code);
            while (m.find()) {
                if (bare.charAt(m.start()) != code.charAt(m.start())) continue; // inside a string
                int open = code.lastIndexOf('(', m.start() + m.group().indexOf('('));
                int close = PhpExpressions.matchingParen(code, open);
                if (close < 0) continue;
                String arg = code.substring(m.end(), close).strip();
                for (String value : values(arg, e.getKey(), constants)) add(dirs, value, refs);
            }
        }
        for (String path : tree.textPaths()) {
            if (PhpSource.isPhp(path)) continue;
            String text = tree.content(path);
            if (text == null || !text.contains("include_path")) continue;
            Matcher m = CONFIG.matcher(text);
            while (m.find()) {
                for (String value : m.group(1).strip().split(":")) add(dirs, value.strip(), refs);
            }
        }
        return List.copyOf(dirs);
    }

    /**
     * The directories an include_path expression names, each evaluated statically; a part we cannot evaluate is left
     * out (the others still count).
     */
    static List<String> values(String expr, String file, Map<String, Set<String>> constants) {
        Matcher join = JOIN.matcher(expr);
        List<String> parts = new ArrayList<>();
        if (join.matches()) {
            for (String element : elements(join.group(1))) parts.addAll(values(element, file, constants));
            return parts;
        }
        List<String> terms = PhpExpressions.splitConcat(expr);
        if (terms == null) return List.of();
        StringBuilder current = new StringBuilder();
        boolean known = true;
        for (String term : terms) {
            String t = term.strip();
            if (SEPARATOR.matcher(t).matches()) {
                if (known && !current.isEmpty()) parts.add(current.toString());
                current.setLength(0);
                known = true;
                continue;
            }
            Set<String> v = PhpExpressions.evaluate(t, file, constants);
            if (v == null || v.size() != 1) {
                known = false;
                continue;
            }
            String[] pieces = v.iterator().next().split(":", -1);
            current.append(pieces[0]);
            for (int i = 1; i < pieces.length; i++) {
                if (known && !current.isEmpty()) parts.add(current.toString());
                current.setLength(0);
                known = true;
                current.append(pieces[i]);
            }
        }
        if (known && !current.isEmpty()) parts.add(current.toString());
        return parts;
    }

    /** The top-level comma-separated elements of an array literal's body. */
    private static List<String> elements(String body) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\'' || c == '"') {
                i = PhpSource.skipString(body, i, c) - 1;
            } else if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(body.substring(start, i));
                start = i + 1;
            }
        }
        if (!body.substring(start).isBlank()) out.add(body.substring(start));
        return out;
    }

    private static void add(Set<String> dirs, String value, References refs) {
        if (value.isEmpty() || value.contains("://")) return;
        Resolution r;
        if (value.startsWith(PhpExpressions.ROOT)) {
            r = refs.inTree(value.substring(PhpExpressions.ROOT.length()));
        } else if (value.startsWith("/")) {
            r = refs.absolute(value);
        } else {
            // relative entries are relative to the working directory: the entry script's, usually the tree's root
            r = refs.inTree(value);
        }
        if (r.kind() == Kind.FOUND && r.treePath() != null && refs.index().isDirectory(r.treePath())) dirs.add(r.treePath());
    }
}
