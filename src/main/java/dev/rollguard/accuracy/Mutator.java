package dev.rollguard.accuracy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.rollguard.accuracy.Mutant.Kind;
import dev.rollguard.config.ConfigTree;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeded single mistakes of the kinds people make in config trees, each placed where it breaks something: a
 * reference is mutated only where it names a file the tree holds, a syntax mutant only when the file parsed before
 * and no longer parses. Pure: the same tree and seed give the same mutants.
 */
final class Mutator {
    private static final Pattern PHP_INCLUDE = Pattern.compile(
            "^[ \\t]*(?:[^/#*\\s].*?)?\\b(?:require|include)(?:_once)?\\b[^;'\"]*?['\"]([^'\"$]*?)([A-Za-z0-9_-]+)\\.(php|inc)['\"]",
            Pattern.MULTILINE);
    private static final Pattern APACHE_INCLUDE = Pattern.compile("(?m)^[ \\t]*(?:Include|IncludeOptional)[ \\t]+\"?([^\"\\s]+)");
    private static final Pattern NGINX_INCLUDE = Pattern.compile("(?m)^[ \\t]*include[ \\t]+[\"']?([^;\"'\\s]+)[\"']?[ \\t]*;");
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** A place in a file where a mistake can go: the characters [start, end) of {@code path} may be mistyped. */
    private record Site(String path, int start, int end) {}

    private Mutator() {}

    /** Up to {@code count} distinct mutants of one kind, drawn with {@code random} from the sites of the given trees. */
    static List<Mutant> mutants(Kind kind, List<Named> trees, int count, Random random) {
        List<Named> withSites = new ArrayList<>();
        List<List<Site>> sites = new ArrayList<>();
        for (Named t : trees) {
            List<Site> s = t.sites(kind);
            if (!s.isEmpty()) {
                withSites.add(t);
                sites.add(s);
            }
        }
        List<Mutant> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int attempt = 0; out.size() < count && attempt < count * 50 && !withSites.isEmpty(); attempt++) {
            // packages first, then a site in it: one package with thousands of sites does not drown the others
            int i = random.nextInt(withSites.size());
            Named t = withSites.get(i);
            Site site = sites.get(i).get(random.nextInt(sites.get(i).size()));
            Mutant m = mutate(kind, t, site, random);
            if (m != null && seen.add(m.path() + '\0' + m.content().hashCode() + '\0' + m.content().length())) out.add(m);
        }
        return out;
    }

    /**
     * A tree with the package it came from, and the sites of each kind found in it: they depend on the tree alone, and
     * both splits draw from the tuning packages.
     */
    static final class Named {
        private final String pkg;
        private final ConfigTree tree;
        private final Map<Kind, List<Site>> sites = new EnumMap<>(Kind.class);

        Named(String pkg, ConfigTree tree) {
            this.pkg = pkg;
            this.tree = tree;
        }

        String pkg() { return pkg; }

        ConfigTree tree() { return tree; }

        private List<Site> sites(Kind kind) {
            return sites.computeIfAbsent(kind, k -> Mutator.sites(k, tree));
        }
    }

    private static List<Site> sites(Kind kind, ConfigTree tree) {
        List<Site> out = new ArrayList<>();
        for (var e : tree.files().entrySet()) {
            String path = e.getKey();
            String content = e.getValue();
            String ext = extension(path);
            switch (kind) {
                case EXTENSION_TYPO, BASENAME_TYPO -> {
                    if (!ext.equals("php") && !ext.equals("inc")) continue;
                    Matcher m = PHP_INCLUDE.matcher(content);
                    while (m.find()) {
                        String tail = m.group(1) + m.group(2) + "." + m.group(3);
                        if (!existsWithTail(tree, tail)) continue;
                        if (kind == Kind.EXTENSION_TYPO) out.add(new Site(path, m.start(3), m.end(3)));
                        else out.add(new Site(path, m.start(2), m.end(2)));
                    }
                }
                case APACHE_INCLUDE, NGINX_INCLUDE -> {
                    if (ext.equals("php") || ext.equals("inc") || ext.equals("js") || ext.equals("md")) continue;
                    Matcher m = (kind == Kind.APACHE_INCLUDE ? APACHE_INCLUDE : NGINX_INCLUDE).matcher(content);
                    while (m.find()) {
                        String target = m.group(1);
                        if (!resolvesSomewhere(tree, target)) continue;
                        // only the fixed part of a glob: a typo there makes it match nothing
                        int wild = firstWildcard(target);
                        int end = m.start(1) + wild;
                        int start = m.start(1) + (target.startsWith("/") ? target.lastIndexOf('/', Math.max(0, wild - 1)) + 1 : 0);
                        if (end - start >= 3) out.add(new Site(path, start, end));
                    }
                }
                case JSON -> {
                    if (ext.equals("json") && content.lines().count() >= 3 && parsesJson(content)) out.add(new Site(path, 0, content.length()));
                }
                case YAML -> {
                    if ((ext.equals("yaml") || ext.equals("yml")) && content.lines().count() >= 3 && parsesYaml(content)) {
                        out.add(new Site(path, 0, content.length()));
                    }
                }
                case INI -> {
                    if (ext.equals("ini") && content.lines().anyMatch(l -> l.contains("=") && !l.strip().startsWith(";"))) {
                        out.add(new Site(path, 0, content.length()));
                    }
                }
            }
        }
        out.sort(Comparator.comparing(Site::path).thenComparingInt(Site::start));
        return out;
    }

    private static Mutant mutate(Kind kind, Named t, Site site, Random random) {
        String content = t.tree().content(site.path());
        return switch (kind) {
            case EXTENSION_TYPO, BASENAME_TYPO, APACHE_INCLUDE, NGINX_INCLUDE -> {
                String word = content.substring(site.start(), site.end());
                String typo = typo(word, random);
                if (typo == null) yield null;
                String mutated = content.substring(0, site.start()) + typo + content.substring(site.end());
                yield new Mutant(t.pkg(), kind, site.path(), lineOf(content, site.start()), mutated, "'" + word + "' -> '" + typo + "'");
            }
            case JSON -> syntax(t.pkg(), kind, site.path(), content, random, Mutator::jsonEdit, Mutator::parsesJson);
            case YAML -> syntax(t.pkg(), kind, site.path(), content, random, Mutator::yamlEdit, Mutator::parsesYaml);
            case INI -> syntax(t.pkg(), kind, site.path(), content, random, Mutator::iniEdit, c -> false);
        };
    }

    /** One edit on one line: insertion, deletion, substitution or transposition of letters. */
    static String typo(String word, Random random) {
        for (int attempt = 0; attempt < 10; attempt++) {
            int i = random.nextInt(word.length());
            char c = word.charAt(i);
            // letters only: a typo in a name, not in the '/' and '.' that give it its shape
            if (!Character.isLetterOrDigit(c)) continue;
            char r = LETTERS.charAt(random.nextInt(LETTERS.length()));
            if (Character.isUpperCase(c)) r = Character.toUpperCase(r);
            String out = switch (random.nextInt(4)) {
                case 0 -> word.substring(0, i) + r + word.substring(i);
                case 1 -> word.length() > 2 ? word.substring(0, i) + word.substring(i + 1) : null;
                case 2 -> Character.isLetter(c) ? word.substring(0, i) + r + word.substring(i + 1) : null;
                default -> i + 1 < word.length() ? word.substring(0, i) + word.charAt(i + 1) + c + word.substring(i + 2) : null;
            };
            if (out != null && !out.equals(word)) return out;
        }
        return null;
    }

    private interface Edit {
        /** The line edited, or null when this line offers no such edit. */
        String apply(String line, Random random);
    }

    private static Mutant syntax(String pkg, Kind kind, String path, String content, Random random, Edit edit,
                                 Predicate<String> parses) {
        String[] lines = content.split("\n", -1);
        for (int attempt = 0; attempt < 30; attempt++) {
            int i = random.nextInt(lines.length);
            String edited = edit.apply(lines[i], random);
            if (edited == null || edited.equals(lines[i])) continue;
            String[] copy = lines.clone();
            copy[i] = edited;
            String mutated = String.join("\n", copy);
            if (parses.test(mutated)) continue;
            return new Mutant(pkg, kind, path, i + 1, mutated, "line " + (i + 1) + ": '" + lines[i].strip() + "' -> '" + edited.strip() + "'");
        }
        return null;
    }

    private static String jsonEdit(String line, Random random) {
        String t = line.stripTrailing();
        return switch (random.nextInt(4)) {
            case 0 -> t.endsWith(",") ? t.substring(0, t.length() - 1) : null;           // a comma forgotten
            case 1 -> t.indexOf("\":") > 0 ? t.replaceFirst("\":", "\"") : null;         // a colon forgotten
            case 2 -> t.endsWith("\"") || t.matches(".*[0-9a-z\\]}]$") ? t + "," : null;  // a trailing comma
            default -> t.strip().startsWith("\"") ? t.replaceFirst("\"", "") : null;      // a quote forgotten
        };
    }

    private static String yamlEdit(String line, Random random) {
        String t = line.stripTrailing();
        if (t.strip().startsWith("#") || t.isBlank()) return null;
        int colon = t.indexOf(": ");
        return switch (random.nextInt(4)) {
            case 0 -> colon > 0 ? t.substring(0, colon + 2) + "\"" + t.substring(colon + 2) : null; // an unclosed quote
            case 1 -> colon > 0 ? t.substring(0, colon + 2) + "[" + t.substring(colon + 2) : null;  // an unclosed bracket
            case 2 -> t.startsWith(" ") && t.strip().contains(":") ? " " + t : null;                 // indentation off by one
            default -> colon > 0 && !t.strip().startsWith("-") ? t.substring(0, colon) + t.substring(colon + 1) : null; // a colon forgotten
        };
    }

    private static String iniEdit(String line, Random random) {
        String t = line.stripTrailing();
        String s = t.strip();
        if (s.startsWith("[") && s.endsWith("]")) return t.substring(0, t.lastIndexOf(']'));            // section left open
        int eq = t.indexOf('=');
        if (s.startsWith(";") || s.startsWith("#") || eq < 0) return null;
        String value = t.substring(eq + 1).strip();
        // (a '=' forgotten is no error to PHP: a bare key is allowed)
        return value.contains("\"") ? null : t.substring(0, eq + 1) + " \"" + value;                   // quote left open
    }

    static boolean parsesJson(String content) {
        try (JsonParser p = JSON.createParser(content)) {
            while (p.nextToken() != null) {
                // reading every token is the check
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static boolean parsesYaml(String content) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        try {
            for (Object ignored : new Yaml(options).loadAll(content)) {
                // loading every document is the check
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Whether some file of the tree ends with this path (the reference names a file the tree holds). */
    private static boolean existsWithTail(ConfigTree tree, String tail) {
        String t = tail.startsWith("/") ? tail.substring(1) : tail;
        if (t.startsWith("./")) t = t.substring(2);
        if (t.isEmpty() || t.contains("..")) return false;
        String name = "/" + t;
        for (String p : tree.paths()) if (p.equals(t) || p.endsWith(name)) return true;
        return false;
    }

    /** Whether a (possibly absolute, possibly wildcard) include target names files the tree holds. */
    static boolean resolvesSomewhere(ConfigTree tree, String target) {
        String t = target.startsWith("/") ? target.substring(1) : target;
        if (firstWildcard(t) == t.length()) return existsWithTail(tree, t);
        StringBuilder re = new StringBuilder("(.*/)?");
        for (char c : t.toCharArray()) {
            re.append(c == '*' ? "[^/]*" : c == '?' ? "[^/]" : Pattern.quote(String.valueOf(c)));
        }
        Pattern glob = Pattern.compile(re.toString());
        return tree.paths().stream().anyMatch(p -> glob.matcher(p).matches());
    }

    static int firstWildcard(String s) {
        for (int i = 0; i < s.length(); i++) if ("*?[".indexOf(s.charAt(i)) >= 0) return i;
        return s.length();
    }

    private static int lineOf(String s, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) if (s.charAt(i) == '\n') line++;
        return line;
    }

    private static String extension(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
