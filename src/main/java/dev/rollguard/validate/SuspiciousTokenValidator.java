package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

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
    /** Config files whose lines start with a directive name: only there is a rare first word a likely typo. */
    private static final Set<String> DIRECTIVES = Set.of("conf", "cnf", "htaccess", "load", "vhost");
    private static final Set<String> NOT_CODE_DIRS = Set.of("i18n", "l10n", "lang", "langs", "language", "languages", "locale",
            "locales", "translations", "ace", "codemirror");

    private static final int EXT_MIN_LENGTH = 3;
    private static final int EXT_MIN_COMMON_FILES = 3;
    private static final int EXT_RATIO = 10;
    private static final int EXT_MAX_RARE = 3;
    private static final int KEY_MIN_LENGTH = 5;
    private static final int KEY_MIN_COMMON = 5;
    private static final int KEY_RATIO = 5;

    private enum Kind { EXTENSION, KEY }

    private record Token(Kind kind, String token, int start) {}

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
        Map<String, String> php = input.phpCode();
        Map<String, List<Token>> tokens = tree.files().entrySet().parallelStream().collect(Collectors.toConcurrentMap(
                Map.Entry::getKey, e -> input.cache().get(RULE, e.getKey(), tree.hash(e.getKey()), () -> {
                    List<Token> found = new ArrayList<>();
                    scan(e.getKey(), e.getValue(), php.get(e.getKey()), (kind, token, start) -> found.add(new Token(kind, token, start)));
                    return List.copyOf(found);
                })));
        Counts counts = tokens.values().parallelStream().collect(Counts::new, (c, list) -> list.forEach(
                t -> (t.kind() == Kind.EXTENSION ? c.ext : c.keys).merge(t.token(), 1, Integer::sum)), Counts::merge);
        Map<String, Integer> fileExtensions = new HashMap<>();
        // binary files' extensions count too (".png" among images); MIME-table entries (".mif" beside ".gif") are never
        // typos because every extension of Debian's media-types list is known
        for (String p : input.index().paths()) {
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
                    || KNOWN_EXTENSIONS.contains(lower) || MimeExtensions.known(lower) || ignored.contains(token)
                    || ignored.contains("." + token)) return;
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

        return tokens.entrySet().parallelStream().flatMap(e -> {
            List<Finding> out = new ArrayList<>();
            int[] lines = null;
            for (Token t : e.getValue()) {
                Suspect s = suspects.get(t.kind() + t.token());
                if (s == null) continue;
                if (lines == null) lines = Text.lineStarts(tree.content(e.getKey()));
                out.add(s.finding(e.getKey(), Text.lineOf(lines, t.start()), Text.columnOf(lines, t.start())));
            }
            return out.stream();
        }).toList();
    }

    private record Suspect(Kind kind, String token, String common, int rareCount, int commonCount) {
        Finding finding(String path, int line, int column) {
            boolean ext = kind == Kind.EXTENSION;
            String shown = ext ? "." + token : token;
            String right = ext ? "." + common : common;
            String message = "'" + shown + "' looks like a typo: '" + right + "' appears " + commonCount
                    + " times in this tree, '" + shown + "' " + (rareCount == 1 ? "once" : rareCount + " times");
            return Finding.of(RULE, ext ? FindingSeverity.ERROR : FindingSeverity.WARNING, path, line, ext ? column - 1 : column, message,
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
     * Emits extension tokens where a path is meant, and line-leading directives in directive-style config files.
     * A path is meant in an include/require target and in a path-shaped literal: a quoted string (or, in config
     * files, a word) of path characters only, with a '/' in it, that is no MIME type or URL. Regexes, globs,
     * prose and format strings all hold characters a path-shaped literal cannot, so they are never looked into;
     * translations and code-editor snippet files are skipped whole.
     */
    private static void scan(String path, String source, String phpCode, Sink sink) {
        String type = fileType(path);
        if (PROSE.contains(type) || path.endsWith(".min.js") || path.endsWith(".min.css") || notCode(path)) return;
        if (phpCode != null) {
            literals(phpCode, true, sink);
            return;
        }
        switch (type) {
            case "js", "mjs", "cjs", "ts", "jsx", "tsx" -> literals(PhpSource.withoutCComments(source), false, sink);
            default -> {
                if (!CONFIG.contains(type)) return;
                String s = PhpSource.withoutHashComments(source);
                configWords(s, sink);
                if (DIRECTIVES.contains(type) && !definesVariables(s)) directives(s, sink);
            }
        }
    }

    private static final Pattern FAIL2BAN_SECTION = Pattern.compile("(?m)^\\[(Definition|INCLUDES|Init)][ \\t]*$");

    /**
     * fail2ban's filters and actions: their first words are variables they define and use as {@code %(name)s}, named in
     * families ({@code mdpr-normal}/{@code mdre-normal}, {@code __prefix_line}/{@code __prefix_file}), not directives.
     */
    static boolean definesVariables(String config) {
        return FAIL2BAN_SECTION.matcher(config).find() && config.contains("%(");
    }

    /** Quoted literals in code: an extension counts when the literal is path-shaped or, in PHP, an include target. */
    private static void literals(String code, boolean php, Sink sink) {
        int n = code.length();
        for (int i = 0; i < n; i++) {
            char c = code.charAt(i);
            if (c != '\'' && c != '"') continue;
            int end = PhpSource.skipString(code, i, c);
            int nl = code.indexOf('\n', i);
            if (end > n || end < i + 2 || nl >= 0 && nl < end - 1) {
                // a literal over several lines is prose or markup; an unterminated quote is an apostrophe
                if (nl < 0) return;
                i = nl;
                continue;
            }
            String body = code.substring(i + 1, end - 1);
            if (pathShaped(body, php && includeTarget(code, i))) pathExtension(body, i + 1, sink);
            i = end - 1;
        }
    }

    private static final Pattern PATH_CHARS = Pattern.compile("[A-Za-z0-9_./~@+-]+");
    private static final Pattern MIME = Pattern.compile("^(application|audio|chemical|font|image|message|model|multipart|text|video|x-[a-z-]+)/.*");
    private static final Pattern INCLUDE_BEFORE = Pattern.compile("(?:require|include)(?:_once)?\\b[^;{}]*$");

    private static boolean pathShaped(String s, boolean includeTarget) {
        if (s.length() < 3 || s.length() > 300 || !PATH_CHARS.matcher(s).matches()) return false;
        if (MIME.matcher(s).matches()) return false;
        return includeTarget || s.indexOf('/') >= 0 && s.indexOf('/') < s.lastIndexOf('.');
    }

    /** Whether the literal at {@code quote} is part of a require/include statement's expression. */
    private static boolean includeTarget(String code, int quote) {
        return INCLUDE_BEFORE.matcher(code.substring(Math.max(0, quote - 160), quote)).find();
    }

    /** Emits the extension ending a path-shaped string that starts at {@code offset}. */
    private static void pathExtension(String s, int offset, Sink sink) {
        int dot = s.lastIndexOf('.');
        if (dot <= 0 || dot < s.lastIndexOf('/') || s.charAt(dot - 1) == '/' || s.charAt(dot - 1) == '.') return;
        String ext = s.substring(dot + 1);
        if (!ext.isEmpty() && ext.length() <= 6 && isAsciiLetter(ext.charAt(0))
                && ext.chars().allMatch(ch -> ch < 128 && Character.isLetterOrDigit(ch))) {
            sink.token(Kind.EXTENSION, ext, offset + dot + 1);
        }
    }

    /** Config files: whitespace-separated values that are path-shaped (quotes and a trailing ';' stripped). */
    private static void configWords(String s, Sink sink) {
        int n = s.length();
        int i = 0;
        while (i < n) {
            while (i < n && Character.isWhitespace(s.charAt(i))) i++;
            int start = i;
            while (i < n && !Character.isWhitespace(s.charAt(i))) i++;
            int a = start;
            int b = i;
            while (a < b && "\"'=(".indexOf(s.charAt(a)) >= 0) a++;
            while (b > a && "\"';,)".indexOf(s.charAt(b - 1)) >= 0) b--;
            if (b - a >= 3) {
                String word = s.substring(a, b);
                if (pathShaped(word, false)) pathExtension(word, a, sink);
            }
        }
    }

    /** Line-leading directive names (Apache, nginx, my.cnf style): typos there are warnings. */
    private static void directives(String s, Sink sink) {
        int n = s.length();
        int i = 0;
        while (i < n) {
            while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) i++;
            int start = i;
            while (i < n && (isWordPart(s.charAt(i)) || s.charAt(i) == '.' || s.charAt(i) == '-')) i++;
            if (i > start && isWordStart(s.charAt(start)) && i - start >= KEY_MIN_LENGTH && i - start <= 64) {
                sink.token(Kind.KEY, s.substring(start, i), start);
            }
            int nl = s.indexOf('\n', i);
            i = nl < 0 ? n : nl + 1;
        }
    }

    /** Translations and code-editor snippets: text in files that are data for another program, never paths to here. */
    private static boolean notCode(String path) {
        for (String part : path.toLowerCase(Locale.ROOT).split("/")) {
            if (NOT_CODE_DIRS.contains(part)) return true;
        }
        return false;
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
        private final int depth;
        private final Map<String, List<String>> variants = new HashMap<>();

        DeletionIndex() {
            this(2);
        }

        /** An index that finds words within {@code depth} edits. */
        DeletionIndex(int depth) {
            this.depth = depth;
        }

        void add(String word) {
            for (String v : deletes(word, depth)) variants.computeIfAbsent(v, k -> new ArrayList<>(1)).add(word);
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
