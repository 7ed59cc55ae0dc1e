package dev.rollguard.accuracy;

import dev.rollguard.config.ConfigTree;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeded single mistakes in a daemon's config tree, only in the files the daemon reads: a misspelled directive (the
 * line's first word, or a sudoers Defaults flag), a misspelled include target (where it names files the tree holds),
 * and a syntax slip (a closing brace, quote, parenthesis or semicolon forgotten). Pure: the same tree and seed give
 * the same mutants.
 */
final class DaemonMutator {
    enum Kind {
        DIRECTIVE("directive"), INCLUDE("include"), SYNTAX("syntax");

        final String label;

        Kind(String label) { this.label = label; }
    }

    /** One seeded mistake; caught when an error names {@code path} at {@code line} ±1. */
    record Mutant(String pkg, String checker, Kind kind, String path, int line, String content, String description) {}

    /** A daemon's tree, with the corpus row that says which checker reads it. */
    record Target(Corpus.DaemonEntry entry, ConfigTree tree) {}

    /** Which files of each daemon's tree the daemon reads (a typo elsewhere, in a README or an error page, breaks nothing). */
    private static final Map<String, Pattern> READ = Map.of(
            "haproxy", Pattern.compile("haproxy\\.cfg"),
            "bind", Pattern.compile("named\\.conf[^/]*"),
            "dovecot", Pattern.compile("dovecot\\.conf|conf\\.d/[^/]+\\.conf"),
            "squid", Pattern.compile("squid\\.conf|conf\\.d/[^/]+\\.conf"),
            "unbound", Pattern.compile("unbound\\.conf|unbound\\.conf\\.d/[^/]+\\.conf"),
            "varnish", Pattern.compile("[^/]+\\.vcl"),
            "sudoers", Pattern.compile("sudoers|sudoers\\.d/[^/.~]+"),
            "logrotate", Pattern.compile("logrotate\\.conf|logrotate\\.d/[^/.]+"),
            "sshd", Pattern.compile("sshd_config"),
            "lighttpd", Pattern.compile("lighttpd\\.conf|conf-enabled/[^/]+\\.conf"));

    private static final Pattern DIRECTIVE = Pattern.compile("(?m)^[ \\t]*\\.?([A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9])(?=[ \\t=:{;]|$)");
    private static final Pattern SUDO_DEFAULT = Pattern.compile("(?m)^Defaults[ \\t]+!?([a-z_]+)");
    private static final Map<String, Pattern> INCLUDE = Map.of(
            "dovecot", Pattern.compile("(?m)^[ \\t]*!include(?:_try)?[ \\t]+\"?([^\"\\s]+)"),
            "squid", Pattern.compile("(?m)^[ \\t]*include[ \\t]+(\\S+)"),
            "unbound", Pattern.compile("(?m)^[ \\t]*include(?:-toplevel)?:[ \\t]*\"?([^\"\\s]+)"),
            "bind", Pattern.compile("(?m)^[ \\t]*include[ \\t]+\"([^\"]+)\"[ \\t]*;"),
            "lighttpd", Pattern.compile("(?m)^[ \\t]*include[ \\t]+\"([^\"]+)\""),
            "logrotate", Pattern.compile("(?m)^[ \\t]*include[ \\t]+(\\S+)"),
            "sudoers", Pattern.compile("(?m)^[ \\t]*[@#]include(?:dir)?[ \\t]+(\\S+)"),
            "sshd", Pattern.compile("(?m)^[ \\t]*Include[ \\t]+(\\S+)"),
            "varnish", Pattern.compile("(?m)^[ \\t]*include[ \\t]+\"([^\"]+)\"[ \\t]*;"));

    /** Languages with blocks, quotes or lists to leave open; squid's, sshd's and haproxy's are one line per directive. */
    private static final Set<String> BLOCKS = Set.of("bind", "dovecot", "unbound", "varnish", "lighttpd", "logrotate", "sudoers");

    private record Site(String path, int start, int end) {}

    private DaemonMutator() {}

    static boolean reads(String checker, String path) {
        Pattern p = READ.get(checker);
        return p != null && p.matcher(path).matches();
    }

    /** Up to {@code count} distinct mutants of one kind in one daemon's tree. */
    static List<Mutant> mutants(Kind kind, Target t, int count, Random random) {
        String checker = t.entry().checker();
        List<Site> sites = sites(kind, checker, t.tree());
        List<Mutant> out = new ArrayList<>();
        if (sites.isEmpty()) return out;
        Set<String> seen = new HashSet<>();
        Set<String> words = kind == Kind.DIRECTIVE ? words(checker, t.tree()) : Set.of();
        for (int attempt = 0; out.size() < count && attempt < count * 50; attempt++) {
            Site site = sites.get(random.nextInt(sites.size()));
            Mutant m = mutate(kind, t, site, words, random);
            if (m != null && seen.add(m.path() + '\0' + m.content().hashCode())) out.add(m);
        }
        return out;
    }

    private static List<Site> sites(Kind kind, String checker, ConfigTree tree) {
        List<Site> out = new ArrayList<>();
        for (String path : tree.textPaths()) {
            if (!reads(checker, path)) continue;
            String content = tree.content(path);
            switch (kind) {
                case DIRECTIVE -> {
                    Matcher m = (checker.equals("sudoers") ? SUDO_DEFAULT : DIRECTIVE).matcher(content);
                    while (m.find()) {
                        if (m.end(1) - m.start(1) >= 3 && !inShellScript(checker, content, m.start())) out.add(new Site(path, m.start(1), m.end(1)));
                    }
                }
                case INCLUDE -> {
                    Pattern p = INCLUDE.get(checker);
                    if (p == null) continue;
                    Matcher m = p.matcher(content);
                    while (m.find()) {
                        String target = m.group(1);
                        if (!namesFiles(tree, target)) continue;
                        // the fixed part of the last component (before any wildcard): a typo there makes it name nothing
                        int wild = Mutator.firstWildcard(target);
                        int end = m.start(1) + wild;
                        int start = m.start(1) + target.lastIndexOf('/', Math.max(0, wild - 1)) + 1;
                        if (end - start < 3) {
                            end = m.start(1) + target.lastIndexOf('/', Math.max(0, wild - 1));
                            start = m.start(1) + target.lastIndexOf('/', Math.max(0, end - m.start(1) - 1)) + 1;
                        }
                        if (end - start >= 3) out.add(new Site(path, start, end));
                    }
                }
                case SYNTAX -> {
                    if (!BLOCKS.contains(checker)) continue;
                    int lineStart = 0;
                    for (String line : content.split("\n", -1)) {
                        String s = line.strip();
                        // a line with a comment after its text: the slip could land in the comment
                        boolean trailingComment = s.matches(".*[^\\s#].*#.*");
                        if (!s.isEmpty() && !s.startsWith("#") && !s.startsWith("//") && !trailingComment && !inShellScript(checker, content, lineStart)
                                && (s.endsWith("}") || s.endsWith("};") || s.endsWith(";") || s.endsWith("\"") || s.contains(")"))) {
                            out.add(new Site(path, lineStart, lineStart + line.length()));
                        }
                        lineStart += line.length() + 1;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Whether an include names files the tree holds: a relative target anywhere, an absolute one once its leading
     * directories (where the tree is mounted: /etc/bind for bind's tree) are taken away.
     */
    private static boolean namesFiles(ConfigTree tree, String target) {
        if (!target.startsWith("/")) return Mutator.resolvesSomewhere(tree, target);
        for (int slash = target.indexOf('/', 1); slash > 0; slash = target.indexOf('/', slash + 1)) {
            StringBuilder re = new StringBuilder();
            for (char c : target.substring(slash + 1).toCharArray()) {
                re.append(c == '*' ? "[^/]*" : c == '?' ? "[^/]" : Pattern.quote(String.valueOf(c)));
            }
            Pattern glob = Pattern.compile(re + "(/.*)?");
            if (tree.paths().stream().anyMatch(p -> glob.matcher(p).matches())) return true;
        }
        return false;
    }

    /** Inside logrotate's postrotate … endscript: shell, not logrotate's language. */
    private static boolean inShellScript(String checker, String content, int offset) {
        if (!checker.equals("logrotate")) return false;
        String before = content.substring(0, offset);
        int script = Math.max(Math.max(before.lastIndexOf("postrotate"), before.lastIndexOf("prerotate")),
                Math.max(before.lastIndexOf("firstaction"), before.lastIndexOf("lastaction")));
        return script >= 0 && before.lastIndexOf("endscript") < script;
    }

    /** Every directive the tree uses: a typo that makes another real directive is no typo. */
    private static Set<String> words(String checker, ConfigTree tree) {
        Set<String> out = new HashSet<>();
        for (String path : tree.textPaths()) {
            if (!reads(checker, path)) continue;
            Matcher m = (checker.equals("sudoers") ? SUDO_DEFAULT : DIRECTIVE).matcher(tree.content(path));
            while (m.find()) out.add(m.group(1));
        }
        return out;
    }

    private static Mutant mutate(Kind kind, Target t, Site site, Set<String> words, Random random) {
        String content = t.tree().content(site.path());
        String original = content.substring(site.start(), site.end());
        String edited = kind == Kind.SYNTAX ? syntaxEdit(original, random) : Mutator.typo(original, random);
        if (edited == null || edited.equals(original) || words.contains(edited)) return null;
        String mutated = content.substring(0, site.start()) + edited + content.substring(site.end());
        int line = 1;
        for (int i = 0; i < site.start(); i++) if (content.charAt(i) == '\n') line++;
        return new Mutant(t.entry().pkg(), t.entry().checker(), kind, site.path(), line, mutated,
                site.path() + ":" + line + " '" + original.strip() + "' -> '" + edited.strip() + "'");
    }

    /** A closing brace, quote, parenthesis or semicolon forgotten on one line. */
    private static String syntaxEdit(String line, Random random) {
        List<String> edits = new ArrayList<>();
        String t = line.stripTrailing();
        if (t.endsWith("};")) edits.add(t.substring(0, t.length() - 2) + ";");
        else if (t.endsWith("}")) edits.add(t.substring(0, t.length() - 1));
        if (t.endsWith(";") && !t.endsWith("};")) edits.add(t.substring(0, t.length() - 1));
        int quote = t.lastIndexOf('"');
        if (quote > 0 && t.indexOf('"') < quote) edits.add(t.substring(0, quote) + t.substring(quote + 1));
        int paren = t.lastIndexOf(')');
        if (paren > 0 && t.indexOf('(') >= 0 && t.indexOf('(') < paren) edits.add(t.substring(0, paren) + t.substring(paren + 1));
        return edits.isEmpty() ? null : edits.get(random.nextInt(edits.size()));
    }
}
