package dev.rollguard.validate;

import dev.rollguard.config.ConfigPaths;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.validate.References.Kind;
import dev.rollguard.validate.References.Resolution;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The include syntax of the daemons besides Apache and nginx, so an include typo is caught where the daemon is not
 * installed: dovecot {@code !include}/{@code !include_try}, squid/lighttpd/logrotate {@code include}, unbound
 * {@code include:}/{@code include-toplevel:}, rsyslog {@code $IncludeConfig}/{@code include(file=…)}, munin
 * {@code includedir}, fail2ban's {@code [INCLUDES] before/after}, sudoers {@code @include}/{@code @includedir}
 * (bind's {@code include "…";} reads as nginx's). A relative target is relative to the including file's directory,
 * an absolute one goes through the tree's mount point. An include the daemon tolerates naming nothing (a wildcard,
 * {@code !include_try}, fail2ban's {@code after}) is an error only when the edit made it so.
 */
final class DaemonIncludes {
    /**
     * One daemon's include: which files may hold it, the pattern (target in group 1), whether the daemon tolerates a
     * target naming nothing, whether a wildcard matching nothing is tolerated, and whether the target is a directory.
     */
    private record Syntax(String daemon, Predicate<String> files, Pattern pattern, boolean optional, boolean emptyGlobOk, boolean directory) {}

    private static final Predicate<String> ANY = p -> true;

    private static Predicate<String> under(String word) {
        return p -> p.toLowerCase(Locale.ROOT).contains(word);
    }

    private static final List<Syntax> SYNTAXES = List.of(
            new Syntax("dovecot", ANY, Pattern.compile("(?m)^[ \\t]*!include[ \\t]+\"?([^\"\\s]+)\"?[ \\t]*$"), false, false, false),
            new Syntax("dovecot", ANY, Pattern.compile("(?m)^[ \\t]*!include_try[ \\t]+\"?([^\"\\s]+)\"?[ \\t]*$"), true, true, false),
            new Syntax("squid", under("squid"), Pattern.compile("(?m)^[ \\t]*include[ \\t]+([^\\s;\"]+)[ \\t]*$"), false, true, false),
            new Syntax("lighttpd", under("lighttpd"), Pattern.compile("(?m)^[ \\t]*include[ \\t]+\"([^\"]+)\"[ \\t]*$"), false, true, false),
            new Syntax("unbound", under("unbound"), Pattern.compile("(?m)^[ \\t]*include(?:-toplevel)?:[ \\t]*\"?([^\"\\s]+)\"?[ \\t]*$"), false, true, false),
            new Syntax("rsyslog", ANY, Pattern.compile("(?m)^[ \\t]*\\$IncludeConfig[ \\t]+(\\S+)[ \\t]*$"), false, true, false),
            new Syntax("rsyslog", ANY, Pattern.compile("(?m)^[ \\t]*include\\(\\s*file=\"([^\"]+)\"(?![^)]*mode=\"optional\")[^)]*\\)"), false, true, false),
            new Syntax("logrotate", under("logrotate"), Pattern.compile("(?m)^[ \\t]*include[ \\t]+(\\S+)[ \\t]*$"), false, true, false),
            new Syntax("munin", under("munin"), Pattern.compile("(?m)^[ \\t]*includedir[ \\t]+(\\S+)[ \\t]*$"), false, true, true),
            new Syntax("sudoers", under("sudoers"), Pattern.compile("(?m)^[ \\t]*[@#]include[ \\t]+(\\S+)[ \\t]*$"), false, false, false),
            new Syntax("sudoers", under("sudoers"), Pattern.compile("(?m)^[ \\t]*[@#]includedir[ \\t]+(\\S+)[ \\t]*$"), true, true, true));

    /** fail2ban: {@code before}/{@code after} inside an {@code [INCLUDES]} section; {@code after} names optional .local files. */
    private static final Pattern FAIL2BAN_SECTION = Pattern.compile("(?m)^\\[INCLUDES][ \\t]*$");
    private static final Pattern FAIL2BAN_INCLUDE = Pattern.compile("(?m)^(before|after)[ \\t]*=[ \\t]*([^\\n]+?)[ \\t]*$");

    /** Where the main configs of daemons without a checker here live on Debian: votes like a checker's conventional place. */
    private static final List<String> PLACES = List.of("/etc/rsyslog.conf", "/etc/munin/munin.conf", "/etc/fail2ban/jail.conf",
            "/etc/fail2ban/fail2ban.conf");

    private final References refs;
    private final ValidationInput input;

    DaemonIncludes(References refs, ValidationInput input) {
        this.refs = refs;
        this.input = input;
    }

    /**
     * Votes for the tree's mount point besides include targets ({@link #absoluteTargets}): a daemon's main config votes
     * for its conventional place (a tree with squid.conf at its root is /etc/squid).
     */
    static List<String> mainVotes(ConfigTree tree) {
        List<String> out = new ArrayList<>();
        for (DaemonChecker c : DaemonChecker.ALL) {
            String main = DaemonConfigValidator.mainOf(tree, c);
            if (main != null) out.add(c.conventional() + "/" + References.basename(main));
        }
        for (String place : PLACES) {
            String name = References.basename(place);
            tree.textPaths().stream().filter(p -> References.basename(p).equals(name)).min((a, b) -> Integer.compare(a.length(), b.length()))
                    .ifPresent(p -> out.add(place));
        }
        return out;
    }

    /** One file's absolute include targets (each with its directory's wildcard): a function of the file alone, so cached by its hash. */
    static List<String> absoluteTargets(String path, String content) {
        if (PhpSource.isPhp(path) || !mentionsInclude(content)) return List.of();
        List<String> out = new ArrayList<>();
        for (Syntax s : SYNTAXES) {
            if (!s.files().test(path)) continue;
            Matcher m = s.pattern().matcher(content);
            while (m.find()) {
                String t = m.group(1);
                if (!t.startsWith("/")) continue;
                out.add(t);
                if (!References.hasGlob(t)) out.add(References.trimEndSlash(t) + "/*");
            }
        }
        return List.copyOf(out);
    }

    /** Every include syntax here holds "include" or "Include" ($IncludeConfig): a file without either has none. */
    private static boolean mentionsInclude(String content) {
        return content.indexOf("include") >= 0 || content.indexOf("Include") >= 0;
    }

    /** One include statement of a daemon's syntax: where its target starts. */
    private record Site(Syntax syntax, String target, int offset) {}

    /** The include statements of one file, before resolution: a function of the file alone, so cached by its hash. */
    private static List<Site> sites(String path, String content) {
        if (!mentionsInclude(content)) return List.of();
        List<Site> out = new ArrayList<>();
        for (Syntax s : SYNTAXES) {
            if (!s.files().test(path)) continue;
            Matcher m = s.pattern().matcher(content);
            while (m.find()) out.add(new Site(s, m.group(1), m.start(1)));
        }
        return List.copyOf(out);
    }

    void check(String path, String content, List<Finding> out) {
        if (!mentionsInclude(content) && content.indexOf("INCLUDES") < 0) return;
        List<Site> sites = input.cache().get("daemon-includes", path, input.tree().hash(path), () -> sites(path, content));
        int[] lines = sites.isEmpty() ? null : Text.lineStarts(content);
        for (Site site : sites) {
            Syntax s = site.syntax();
            check(path, content, lines, site.target(), site.offset(), s.optional() || s.emptyGlobOk() && References.hasGlob(site.target()),
                    s.daemon() + " include", s.pattern(), 1, out);
        }
        if (FAIL2BAN_SECTION.matcher(content).find()) fail2ban(path, content, out);
    }

    private void fail2ban(String path, String content, List<Finding> out) {
        Matcher section = FAIL2BAN_SECTION.matcher(content);
        if (!section.find()) return;
        int end = content.indexOf("\n[", section.end());
        Matcher m = FAIL2BAN_INCLUDE.matcher(content).region(section.end(), end < 0 ? content.length() : end);
        int[] lines = Text.lineStarts(content);
        while (m.find()) {
            // several files may be named on one line, separated by white space
            Matcher name = Pattern.compile("\\S+").matcher(m.group(2));
            while (name.find()) {
                check(path, content, lines, name.group(), m.start(2) + name.start(), m.group(1).equals("after"), "fail2ban " + m.group(1),
                        FAIL2BAN_INCLUDE, 2, out);
            }
        }
    }

    private void check(String path, String content, int[] lines, String target, int offset, boolean tolerated, String what, Pattern pattern,
                       int group, List<Finding> out) {
        if (target.contains("$") || target.contains("%(")) return; // a variable: its value is not ours to know
        String dir = ConfigPaths.parent(path);
        Resolution r = resolve(refs, dir, target);
        if (r.kind() == Kind.FOUND || r.kind() == Kind.UNKNOWN) return;
        int line = Text.lineOf(lines, offset);
        String broke = tolerated ? ConfigReferences.brokenSinceParent(input, refs, path, line, target, pattern, group,
                (parentRefs, t) -> resolve(parentRefs, dir, t)) : "";
        if (broke == null) return;
        out.add(refs.missing(path, line, Text.columnOf(lines, offset), what + " of '" + target + "': "
                + (r.glob() ? "wildcard matches no file" : "no such file") + broke, r, FindingSeverity.ERROR,
                MissingReferenceValidator.lineText(content, lines, line)));
    }

    private static Resolution resolve(References refs, String dir, String target) {
        if (target.startsWith("/")) return refs.absolute(target);
        return refs.inTree(dir.isEmpty() ? target : dir + "/" + target);
    }
}
