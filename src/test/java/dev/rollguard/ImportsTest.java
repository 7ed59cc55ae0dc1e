package dev.rollguard;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every source file keeps its imports clean: no star imports, none unused, sorted (other packages, then java and
 * javax, then static imports), and no qualified names written inline in the code instead of an import.
 */
class ImportsTest {
    private static final Pattern INLINE_QUALIFIED =
            Pattern.compile("(?<![\\w.])(?:java|javax|org|com|io|dev|net)\\.(?:[a-z_][a-z0-9_]*\\.)+[A-Z]\\w*");
    private static final Pattern WORD = Pattern.compile("\\b[A-Za-z_]\\w*\\b");

    @Test
    void importsAreUsedSortedExplicitAndAtTheTop() throws IOException {
        List<String> problems = new ArrayList<>();
        for (Path root : List.of(Path.of("src/main/java"), Path.of("src/test/java"))) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) problems.addAll(check(f));
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theCheckFindsEachKindOfProblem() {
        String source = """
                package x;

                import java.util.List;
                import com.example.Thing;
                import java.util.*;
                import java.util.Map;

                class A {
                    // java.util.Set in a comment is fine, and so is "java.util.Set" in a string
                    List<String> l = java.util.List.of();
                    Thing t;
                }
                """;
        assertThat(check(Path.of("A.java"), source)).anyMatch(p -> p.contains("star import"))
                .anyMatch(p -> p.contains("unused import java.util.Map")).anyMatch(p -> p.contains("imports out of order"))
                .anyMatch(p -> p.contains("inline qualified name java.util.List")).noneMatch(p -> p.contains("java.util.Set"));
    }

    private static List<String> check(Path file) throws IOException {
        return check(file, Files.readString(file));
    }

    static List<String> check(Path file, String source) {
        List<String> problems = new ArrayList<>();
        String[] lines = source.split("\n", -1);
        List<String> imports = new ArrayList<>();
        int bodyStart = 0;
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.startsWith("import ")) {
                imports.add(l.substring(7, l.length() - 1).strip());
                bodyStart = i + 1;
            } else if (!l.isEmpty() && !l.startsWith("package ") && !l.startsWith("//")) {
                if (bodyStart == 0) bodyStart = i;
                break;
            }
        }
        String body = String.join("\n", List.of(lines).subList(bodyStart, lines.length));
        Set<String> words = new HashSet<>();
        Matcher w = WORD.matcher(body);
        while (w.find()) words.add(w.group());
        for (String imp : imports) {
            if (imp.endsWith(".*")) {
                problems.add(file + ": star import " + imp);
                continue;
            }
            String simple = imp.substring(imp.lastIndexOf('.') + 1);
            if (!words.contains(simple)) problems.add(file + ": unused import " + imp);
        }
        List<String> sorted = imports.stream().sorted(Comparator.comparing(ImportsTest::group).thenComparing(i -> i.replace("static ", "")))
                .toList();
        if (!sorted.equals(imports)) problems.add(file + ": imports out of order, expected " + sorted);
        Matcher q = INLINE_QUALIFIED.matcher(codeOnly(body));
        while (q.find()) problems.add(file + ": inline qualified name " + q.group() + " (import it)");
        return problems;
    }

    private static int group(String imp) {
        if (imp.startsWith("static ")) return 2;
        return imp.startsWith("java.") || imp.startsWith("javax.") ? 1 : 0;
    }

    /** The code without its comments and string and character literals (blanked, so positions stay). */
    static String codeOnly(String s) {
        StringBuilder out = new StringBuilder(s);
        int i = 0;
        int n = s.length();
        while (i < n) {
            int end;
            if (s.startsWith("//", i)) {
                end = s.indexOf('\n', i);
                end = end < 0 ? n : end;
            } else if (s.startsWith("/*", i)) {
                end = s.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
            } else if (s.startsWith("\"\"\"", i)) {
                end = s.indexOf("\"\"\"", i + 3);
                end = end < 0 ? n : end + 3;
            } else if (s.charAt(i) == '"' || s.charAt(i) == '\'') {
                char quote = s.charAt(i);
                end = i + 1;
                while (end < n && s.charAt(end) != quote) end += s.charAt(end) == '\\' ? 2 : 1;
                end = Math.min(n, end + 1);
            } else {
                i++;
                continue;
            }
            for (int k = i; k < end; k++) if (out.charAt(k) != '\n') out.setCharAt(k, ' ');
            i = end;
        }
        return out.toString();
    }
}
