package dev.rollguard.validate;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates the static part of PHP path expressions such as {@code ABSPATH . WPINC . '/version.php'} or
 * {@code dirname( __FILE__ ) . '/x.php'}. Paths inside the tree are returned with the {@link #ROOT}
 * prefix so they cannot be confused with absolute host paths. Anything dynamic (variables, calls we do
 * not model) makes the whole expression unknown ({@code null}): the validator then stays silent rather
 * than guess.
 */
final class PhpExpressions {
    static final String ROOT = "\u0001";
    private static final int MAX_CANDIDATES = 16;
    private static final Pattern DIRNAME = Pattern.compile("^\\\\?dirname\\s*\\((.*?)(?:,\\s*(\\d+)\\s*)?\\)$", Pattern.DOTALL);
    private static final Pattern CONSTANT = Pattern.compile("^\\\\?[A-Za-z_][A-Za-z0-9_]*$");

    private PhpExpressions() {}

    /** Possible values of the expression, or null when it cannot be known statically. */
    static Set<String> evaluate(String expr, String filePath, Map<String, Set<String>> constants) {
        List<String> terms = splitConcat(expr.strip());
        if (terms == null || terms.isEmpty()) return null;
        Set<String> acc = Set.of("");
        for (String term : terms) {
            Set<String> values = term(term.strip(), filePath, constants);
            if (values == null || values.isEmpty()) return null;
            Set<String> next = new LinkedHashSet<>();
            for (String a : acc) {
                for (String b : values) {
                    if (next.size() >= MAX_CANDIDATES) break;
                    next.add(a + b);
                }
            }
            acc = next;
        }
        return acc;
    }

    private static Set<String> term(String t, String filePath, Map<String, Set<String>> constants) {
        while (t.startsWith("(") && t.endsWith(")") && matchingParen(t, 0) == t.length() - 1) {
            t = t.substring(1, t.length() - 1).strip();
        }
        if (t.isEmpty()) return null;
        char c = t.charAt(0);
        if ((c == '\'' || c == '"') && PhpSource.skipString(t, 0, c) == t.length()) {
            String body = t.substring(1, t.length() - 1);
            if (c == '"' && body.indexOf('$') >= 0) return null;
            return Set.of(body.replace("\\" + c, String.valueOf(c)).replace("\\\\", "\\"));
        }
        String dir = "/" + dirOf(filePath);
        if (t.equals("__DIR__")) return Set.of(ROOT + trimSlash(dir));
        if (t.equals("__FILE__")) return Set.of(ROOT + "/" + filePath);
        Matcher m = DIRNAME.matcher(t);
        if (m.matches()) {
            Set<String> inner = evaluate(m.group(1), filePath, constants);
            if (inner == null) return null;
            int levels = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
            Set<String> out = new LinkedHashSet<>();
            for (String v : inner) {
                String d = v;
                for (int i = 0; i < levels && d != null; i++) d = dirname(d);
                if (d == null) return null;
                out.add(d);
            }
            return out;
        }
        if (CONSTANT.matcher(t).matches()) {
            String name = t.startsWith("\\") ? t.substring(1) : t;
            // the hosts are Unix: PHP's own separator constant is '/'
            if (name.equals("DIRECTORY_SEPARATOR")) return Set.of("/");
            return constants.get(name);
        }
        return null;
    }

    private static String dirname(String p) {
        String s = trimSlash(p);
        if (s.equals(ROOT) || s.isEmpty()) return null; // leaving the tree: unknown to us
        int i = s.lastIndexOf('/');
        if (i < 0) return ".";
        return i == 0 ? "/" : s.substring(0, i);
    }

    private static String trimSlash(String s) {
        return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String dirOf(String path) {
        int i = path.lastIndexOf('/');
        return i < 0 ? "" : path.substring(0, i);
    }

    /** Splits on the top-level concatenation operator; null when the expression has unbalanced quotes. */
    static List<String> splitConcat(String expr) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        int i = 0;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '\'' || c == '"') {
                int end = PhpSource.skipString(expr, i, c);
                if (end > expr.length() || expr.charAt(end - 1) != c) return null;
                i = end;
                continue;
            }
            if (c == '(' || c == '[') depth++;
            else if (c == ')' || c == ']') depth--;
            else if (c == '.' && depth == 0) {
                boolean numeric = i + 1 < expr.length() && Character.isDigit(expr.charAt(i + 1))
                        && i > 0 && Character.isDigit(expr.charAt(i - 1));
                if (!numeric) {
                    out.add(expr.substring(start, i));
                    start = i + 1;
                }
            }
            i++;
        }
        out.add(expr.substring(start));
        return out;
    }

    /** Index of the parenthesis closing the one at {@code open}, or -1. */
    static int matchingParen(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = PhpSource.skipString(s, i, c) - 1;
                continue;
            }
            if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i;
        }
        return -1;
    }

    /**
     * End (exclusive) of a statement starting at {@code from}: the first ';' or '?>' outside strings and
     * brackets, or -1.
     */
    static int statementEnd(String s, int from) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = PhpSource.skipString(s, i, c) - 1;
                continue;
            }
            if (c == '(' || c == '[') depth++;
            else if (c == ')' || c == ']') depth--;
            else if (depth <= 0 && (c == ';' || c == '?' && i + 1 < s.length() && s.charAt(i + 1) == '>')) return i;
            if (depth < 0) return i;
        }
        return -1;
    }
}
