package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * Tokens that are almost certainly typos of a far more frequent token in the same tree: {@code .phpp}
 * among hundreds of {@code .php}. Only two kinds of token are compared, because free text and code are
 * full of legitimate near-twins ({@code swatch}/{@code switch}) and a real WordPress tree — the yardstick
 * in the tests — must give no false alarm:
 * <ul>
 *   <li>file extensions in path context ({@code '/x.phpp'}, {@code DirectoryIndex index.phpp}): an error when the
 *   rare one is no file's extension in the tree nor a well-known extension, and the frequent one is the
 *   extension of several files;</li>
 *   <li>keys and directives (the first word of a line) in config files ({@code .conf}, {@code .ini}, YAML, ...):
 *   a warning.</li>
 * </ul>
 * Neighbours are found with a deletion index over the frequent tokens, so the cost stays linear in the tree.
 */
public final class SuspiciousTokenValidator implements Validator {
    public static final String RULE = "suspicious-token";

    /** Pairs within edit distance 1 that are both legitimate spellings. */
    private static final Set<String> ALIASES = Set.of("htm|html", "jpg|jpeg", "yml|yaml", "tif|tiff", "mjs|js", "cjs|js",
            "jsx|js", "tsx|ts", "php|phps", "md|mdx", "xht|xhtml", "cnf|conf", "ini|inc");
    /** Extensions that exist in the wild: a tree using one of them once is not mistyping another. */
    private static final Set<String> KNOWN_EXTENSIONS = Set.of(("php phps phtml inc js mjs cjs jsx ts tsx css scss sass less "
            + "html htm xhtml xml xsl xsd svg svgz png gif jpg jpeg jpe webp avif bmp ico tif tiff psd heic pdf doc docx xls xlsx "
            + "ppt pptx odt ods odp rtf txt md rst csv tsv json jsonc yaml yml toml ini cfg conf cnf env properties sql db sqlite "
            + "log bak old orig tmp swp sig asc gpg pem crt cer der key pub csr p12 pfx jks zip tar gz tgz bz2 xz zst 7z rar jar war "
            + "ear deb rpm apk dmg iso img bin exe dll so dylib class py pyc rb pl pm go rs java kt scala c h cc cpp hpp cs sh bash "
            + "zsh ps1 bat cmd lua tcl vim map lock mo po pot otf ttf woff woff2 eot mp3 mp4 m4a m4v ogg oga ogv wav webm flac aac "
            + "mov avi mkv wmv flv swf mid midi vtt srt eml msg ics vcf tpl twig tmpl mustache hbs erb ejs jsp asp aspx cgi fcgi "
            + "htaccess htpasswd dist sample example local test spec min").split(" "));
    private static final Set<String> PROSE = Set.of("txt", "md", "rst", "html", "htm", "markdown", "adoc", "pot", "po", "map", "svg");
    private static final Set<String> CONFIG = Set.of("conf", "cnf", "cfg", "ini", "properties", "yaml", "yml", "toml", "env",
            "htaccess", "load", "vhost", "");

    private static final int EXT_MIN_LENGTH = 3;
    private static final int EXT_MIN_COMMON_FILES = 3;
    private static final int EXT_RATIO = 10;
    private static final int EXT_MAX_RARE = 3;
    private static final int KEY_MIN_LENGTH = 5;
    private static final int KEY_MIN_COMMON = 5;
    private static final int KEY_RATIO = 5;

    private enum Kind { EXTENSION, KEY }

    private interface Sink {
        void token(Kind kind, String token, int start);
    }

    @Override
    public String id() { return RULE; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        ConfigTree tree = input.tree();
        record Counts(Map<String, Integer> ext, Map<String, Integer> keys) {
            Counts() { this(new HashMap<>(), new HashMap<>()); }

            void merge(Counts o) {
                o.ext.forEach((k, v) -> ext.merge(k, v, Integer::sum));
                o.keys.forEach((k, v) -> keys.merge(k, v, Integer::sum));
            }
        }
        Counts counts = tree.files().entrySet().parallelStream().collect(Counts::new, (c, e) -> scan(e.getKey(), e.getValue(),
                (kind, token, start) -> (kind == Kind.EXTENSION ? c.ext : c.keys).merge(token, 1, Integer::sum)), Counts::merge);
        Map<String, Integer> fileExtensions = new HashMap<>();
        // text files' extensions only, as before binary files were kept: counting a docroot's 193 .gif images makes
        // ".gif" common enough to call MIME-table entries such as ".mif" its typos
        for (String p : tree.textPaths()) {
            String e = MissingReferenceValidator.extension(p);
            if (!e.isEmpty()) fileExtensions.merge(e, 1, Integer::sum);
        }
        Set<String> ignored = new HashSet<>(input.settings().ignoreTokens());

        Map<String, Suspect> suspects = new HashMap<>();
        DeletionIndex extIndex = new DeletionIndex();
        fileExtensions.forEach((e, files) -> {
            if (files >= EXT_MIN_COMMON_FILES) extIndex.add(e);
        });
        counts.ext.forEach((token, n) -> {
            String lower = token.toLowerCase(Locale.ROOT);
            if (n > EXT_MAX_RARE || token.length() < EXT_MIN_LENGTH || fileExtensions.containsKey(lower)
                    || KNOWN_EXTENSIONS.contains(lower) || ignored.contains(token) || ignored.contains("." + token)) return;
            best(token, extIndex, c -> counts.ext.getOrDefault(c, 0) + fileExtensions.getOrDefault(c, 0), EXT_RATIO * n, 1, false)
                    .ifPresent(c -> suspects.put(Kind.EXTENSION + token, new Suspect(Kind.EXTENSION, token, c, n,
                            counts.ext.getOrDefault(c, 0) + fileExtensions.getOrDefault(c, 0))));
        });
        DeletionIndex keyIndex = new DeletionIndex();
        counts.keys.forEach((k, n) -> {
            if (n >= KEY_MIN_COMMON) keyIndex.add(k);
        });
        counts.keys.forEach((token, n) -> {
            if (n > 1 || token.length() < KEY_MIN_LENGTH || ignored.contains(token)) return;
            int maxDistance = token.length() >= 10 ? 2 : 1;
            best(token, keyIndex, counts.keys::get, KEY_RATIO * n, maxDistance, true)
                    .ifPresent(c -> suspects.put(Kind.KEY + token, new Suspect(Kind.KEY, token, c, n, counts.keys.get(c))));
        });
        if (suspects.isEmpty()) return List.of();

        List<Finding> out = new ArrayList<>();
        for (var e : tree.files().entrySet()) {
            int[][] lines = new int[1][];
            String content = e.getValue();
            scan(e.getKey(), content, (kind, token, start) -> {
                Suspect s = suspects.get(kind + token);
                if (s == null) return;
                if (lines[0] == null) lines[0] = Text.lineStarts(content);
                out.add(s.finding(e.getKey(), Text.lineOf(lines[0], start), Text.columnOf(lines[0], start)));
            });
        }
        return out;
    }

    private record Suspect(Kind kind, String token, String common, int rareCount, int commonCount) {
        Finding finding(String path, int line, int column) {
            boolean ext = kind == Kind.EXTENSION;
            String shown = ext ? "." + token : token;
            String right = ext ? "." + common : common;
            String message = "'" + shown + "' looks like a typo: '" + right + "' appears " + commonCount
                    + " times in this tree, '" + shown + "' " + (rareCount == 1 ? "once" : rareCount + " times");
            return Finding.of(RULE, ext ? Severity.ERROR : Severity.WARNING, path, line, ext ? column - 1 : column, message,
                    "did you mean '" + right + "'?", new Fix(shown, right, null, true));
        }
    }

    private static Optional<String> best(String token, DeletionIndex index, ToIntFunction<String> count,
                                                   int minCommon, int maxDistance, boolean words) {
        String best = null;
        int bestCount = 0;
        for (String c : index.near(token, maxDistance)) {
            int common = count.applyAsInt(c);
            if (common < minCommon || !plausibleTypo(token, c, words) || Text.distance(token, c, maxDistance) > maxDistance) continue;
            if (common > bestCount) {
                best = c;
                bestCount = common;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Excludes differences that are usually deliberate: case, digits, plural and common affixes. */
    static boolean plausibleTypo(String rare, String common) {
        return plausibleTypo(rare, common, true);
    }

    static boolean plausibleTypo(String rare, String common, boolean words) {
        if (rare.equalsIgnoreCase(common)) return false;
        String a = rare.toLowerCase(Locale.ROOT);
        String b = common.toLowerCase(Locale.ROOT);
        if (ALIASES.contains(a + "|" + b) || ALIASES.contains(b + "|" + a)) return false;
        if (a.replaceAll("[0-9]", "").equals(b.replaceAll("[0-9]", ""))) return false;
        if (a.replaceAll("[_.-]", "").equals(b.replaceAll("[_.-]", ""))) return false;
        if (!words) return true;
        for (String suffix : new String[] {"s", "es", "ed", "d", "er", "r", "ing", "ly", "y"}) {
            if (a.equals(b + suffix) || b.equals(a + suffix)) return false;
        }
        return true;
    }

    /**
     * Emits extension tokens in path context and, in config files, line-leading keys. Extensions count only
     * after a path-ish character ({@code / ' " \}), or after white space in config files, never before '(',
     * so method calls ({@code history.pop()}) and prose are left alone.
     */
    private static void scan(String path, String source, Sink sink) {
        String type = fileType(path);
        if (PROSE.contains(type) || path.endsWith(".min.js") || path.endsWith(".min.css")) return;
        boolean config = CONFIG.contains(type);
        // comments are prose: a typo there breaks nothing
        String s = switch (type) {
            case "php", "inc", "phtml" -> PhpSource.codeOnly(source);
            case "js", "mjs", "cjs", "ts", "jsx", "tsx", "css", "scss", "less", "java", "c", "h", "go" -> PhpSource.withoutCComments(source);
            default -> config ? PhpSource.withoutHashComments(source) : source;
        };
        int n = s.length();
        int i = 0;
        boolean lineStart = true;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\n') {
                lineStart = true;
                i++;
                continue;
            }
            if (lineStart && config && (c == ' ' || c == '\t')) {
                i++;
                continue;
            }
            if (lineStart && config && isWordStart(c)) {
                int start = i;
                while (i < n && (isWordPart(s.charAt(i)) || s.charAt(i) == '.' || s.charAt(i) == '-')) i++;
                if (i - start >= KEY_MIN_LENGTH && i - start <= 64) sink.token(Kind.KEY, s.substring(start, i), start);
                lineStart = false;
                continue;
            }
            lineStart = false;
            if (c == '.' && i + 1 < n && isAsciiLetter(s.charAt(i + 1)) && i > 0) {
                char before = s.charAt(i - 1);
                boolean standalone = before == '\\' || config && (before == ' ' || before == '\t' || before == '"' || before == '\'');
                if (standalone) i = extension(s, i, sink);
                else i++;
                continue;
            }
            if (!isNamePart(c)) {
                i++;
                continue;
            }
            int start = i;
            while (i < n && isNamePart(s.charAt(i))) i++;
            char before = start == 0 ? '\n' : s.charAt(start - 1);
            boolean pathContext = before == '/' || before == '\'' || before == '"' || before == '`' || before == '\\'
                    || config && (before == ' ' || before == '\t' || before == '=' || before == ':' || before == '\n');
            while (pathContext && i + 1 < n && s.charAt(i) == '.' && isAsciiLetter(s.charAt(i + 1))) {
                i = extension(s, i, sink);
            }
        }
    }

    /** Reads ".ext" at {@code dot}; emits it when it ends the name; returns the index after it. */
    private static int extension(String s, int dot, Sink sink) {
        int n = s.length();
        int es = dot + 1;
        int e = es;
        while (e < n && (isAsciiLetter(s.charAt(e)) || Character.isDigit(s.charAt(e)))) e++;
        boolean ends = e == n || !isNamePart(s.charAt(e)) && s.charAt(e) != '(' && s.charAt(e) != '.';
        if (ends && e - es <= 6) sink.token(Kind.EXTENSION, s.substring(es, e), es);
        return e;
    }

    private static String fileType(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        if (name.startsWith("readme") || name.startsWith("license") || name.startsWith("changelog")) return "txt";
        if (name.startsWith(".") && name.indexOf('.', 1) < 0) return name.substring(1);
        return MissingReferenceValidator.extension(path);
    }

    private static boolean isAsciiLetter(char c) {
        return c < 128 && Character.isLetter(c);
    }

    private static boolean isWordStart(char c) {
        return c < 128 && (Character.isLetter(c) || c == '_');
    }

    private static boolean isWordPart(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || c == '_');
    }

    private static boolean isNamePart(char c) {
        return isWordPart(c) || c == '-';
    }

    /** Symmetric-delete index: two strings within distance d share a variant made by deleting up to d characters. */
    static final class DeletionIndex {
        private static final int DEPTH = 2;
        private final Map<String, List<String>> variants = new HashMap<>();

        void add(String word) {
            for (String v : deletes(word, DEPTH)) variants.computeIfAbsent(v, k -> new ArrayList<>(1)).add(word);
        }

        Set<String> near(String word, int maxDistance) {
            Set<String> out = new HashSet<>();
            for (String v : deletes(word, maxDistance)) {
                List<String> hit = variants.get(v);
                if (hit != null) out.addAll(hit);
            }
            out.remove(word);
            return out;
        }

        private static Set<String> deletes(String w, int depth) {
            Set<String> out = new HashSet<>();
            out.add(w);
            Set<String> frontier = Set.of(w);
            for (int d = 0; d < depth; d++) {
                Set<String> next = new HashSet<>();
                for (String s : frontier) {
                    for (int i = 0; i < s.length(); i++) next.add(s.substring(0, i) + s.substring(i + 1));
                }
                out.addAll(next);
                frontier = next;
            }
            return out;
        }
    }
}
