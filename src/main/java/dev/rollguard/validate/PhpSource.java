package dev.rollguard.validate;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PHP source with comments and inline HTML blanked out (replaced by spaces, newlines kept), so regular
 * expressions over the code see neither commented-out includes nor text, while offsets still map to
 * the original line and column.
 */
final class PhpSource {
    private PhpSource() {}

    static String codeOnly(String src) {
        char[] out = src.toCharArray();
        int n = out.length;
        int i = 0;
        boolean inPhp = false;
        while (i < n) {
            if (!inPhp) {
                if (src.startsWith("<?php", i) || src.startsWith("<?=", i)) {
                    int len = src.startsWith("<?php", i) ? 5 : 3;
                    blank(out, i, i + len);
                    i += len;
                    inPhp = true;
                } else {
                    if (out[i] != '\n') out[i] = ' ';
                    i++;
                }
                continue;
            }
            char c = src.charAt(i);
            if (c == '?' && i + 1 < n && src.charAt(i + 1) == '>') {
                blank(out, i, i + 2);
                i += 2;
                inPhp = false;
            } else if (c == '\'' || c == '"' || c == '`') {
                i = skipString(src, i, c);
            } else if (c == '#' && !(i + 1 < n && src.charAt(i + 1) == '[') || c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                int end = i;
                while (end < n && src.charAt(end) != '\n' && !src.startsWith("?>", end)) end++;
                blank(out, i, end);
                i = end;
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                int end = src.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                blank(out, i, end);
                i = end;
            } else if (c == '<' && src.startsWith("<<<", i)) {
                i = skipHeredoc(src, i, out);
            } else {
                i++;
            }
        }
        return new String(out);
    }

    /**
     * C-family source (JS, CSS, TS, Java...) with comments blanked, strings kept. A '/' that starts a regex
     * literal is treated as division, which at worst keeps a comment-like regex as code.
     */
    static String withoutCComments(String src) {
        char[] out = src.toCharArray();
        int n = out.length;
        int i = 0;
        while (i < n) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"' || c == '`') {
                int end = skipString(src, i, c);
                // an unterminated quote (an apostrophe in a regex, say) must not swallow the rest of the file
                int nl = src.indexOf('\n', i);
                i = c != '`' && nl >= 0 && nl < end ? nl : end;
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                int end = src.indexOf('\n', i);
                end = end < 0 ? n : end;
                blank(out, i, end);
                i = end;
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                int end = src.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                blank(out, i, end);
                i = end;
            } else {
                i++;
            }
        }
        return new String(out);
    }

    /** Config files: lines whose first non-blank character is '#' or ';' are comments. */
    static String withoutHashComments(String src) {
        char[] out = src.toCharArray();
        int i = 0;
        while (i < out.length) {
            int end = src.indexOf('\n', i);
            end = end < 0 ? out.length : end;
            int k = i;
            while (k < end && (out[k] == ' ' || out[k] == '\t')) k++;
            if (k < end && (out[k] == '#' || out[k] == ';')) blank(out, k, end);
            i = end + 1;
        }
        return new String(out);
    }

    private static void blank(char[] out, int from, int to) {
        for (int k = from; k < to && k < out.length; k++) if (out[k] != '\n') out[k] = ' ';
    }

    /** Code with string literal contents blanked (quotes kept): for finding keywords that are really code. */
    static String withoutStrings(String code) {
        char[] out = code.toCharArray();
        int i = 0;
        while (i < out.length) {
            char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(code, i, c);
                blank(out, i + 1, end - 1);
                i = end;
            } else {
                i++;
            }
        }
        return new String(out);
    }

    /**
     * Whether the statement at {@code pos} runs only under a condition: it sits in an if/elseif/else block,
     * or directly follows a brace-less {@code if (...)}. {@code code} must have strings blanked.
     */
    static boolean conditional(String code, int pos) {
        int stmtStart = pos;
        while (stmtStart > 0 && ";{}".indexOf(code.charAt(stmtStart - 1)) < 0) stmtStart--;
        if (startsWithCondition(code.substring(stmtStart, pos).strip())) return true;
        int depth = 0;
        for (int i = pos - 1; i >= 0; i--) {
            char c = code.charAt(i);
            if (c == '}') depth++;
            else if (c == '{') {
                if (depth == 0) return blockIsConditional(code, i);
                depth--;
            }
        }
        return false;
    }

    private static boolean startsWithCondition(String s) {
        return s.matches("(?s)^(if|elseif|else\\s*if)\\s*\\(.*") || s.matches("(?s)^else\\b.*");
    }

    private static boolean blockIsConditional(String code, int brace) {
        String before = code.substring(Math.max(0, brace - 2000), brace).stripTrailing();
        if (before.endsWith("else")) return true;
        if (!before.endsWith(")")) return false;
        int depth = 0;
        for (int i = before.length() - 1; i >= 0; i--) {
            char c = before.charAt(i);
            if (c == ')') depth++;
            else if (c == '(' && --depth == 0) {
                String head = before.substring(0, i).stripTrailing();
                return head.endsWith("if") && (head.length() == 2 || !Character.isLetterOrDigit(head.charAt(head.length() - 3))
                        || head.endsWith("elseif"));
            }
        }
        return false;
    }

    /** Index just past the closing quote of the string opening at {@code start}. */
    static int skipString(String s, int start, char quote) {
        int i = start + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (c == quote) return i + 1;
            i++;
        }
        return s.length();
    }

    private static int skipHeredoc(String s, int start, char[] out) {
        int lineEnd = s.indexOf('\n', start);
        if (lineEnd < 0) return s.length();
        String label = s.substring(start + 3, lineEnd).strip().replace("'", "").replace("\"", "");
        if (label.isEmpty() || !label.matches("[A-Za-z_][A-Za-z0-9_]*")) return start + 3;
        Matcher m = Pattern
                .compile("(?m)^[ \\t]*" + Pattern.quote(label) + "\\b").matcher(s);
        int end = m.find(lineEnd + 1) ? m.end() : s.length();
        blank(out, lineEnd + 1, m.hitEnd() ? s.length() : m.start());
        return end;
    }
}
