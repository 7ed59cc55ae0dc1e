package dev.rollguard.validate;

import dev.rollguard.Problem;
import dev.rollguard.Processes;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Job;
import dev.rollguard.sandbox.Sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daemons' own config checkers ({@link DaemonChecker#ALL}) over the tree, each in the sandbox like
 * {@link ApacheConfigValidator}: a checker runs when its main config is in the tree ({@code haproxy.cfg},
 * {@code named.conf} …) or the spec declares it ({@code validation.daemons}); the tree is mounted read only where the
 * config expects it (deployPath, else the daemon's conventional directory), the daemon's run and state directories are
 * scratch. A program that is missing is a notice naming the Debian package, and an error when the spec declared it:
 * a declared check that cannot run blocks.
 */
public final class DaemonConfigValidator implements Validator {
    public static final String RULE = "daemon";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern UNKNOWN_ACCOUNT = Pattern.compile("(?i)unknown (user|group)|cannot find (user|group) id|no such (user|group)");
    /** A program a unit starts that this machine lacks (systemd-analyze verify): the host the unit is for may have it. */
    private static final Pattern MISSING_PROGRAM = Pattern.compile("is not executable: No such file or directory");

    private final Sandbox sandbox;
    private final Function<String, Optional<Path>> programs;
    /** The last checks' findings by checker, program, mount, main config and tree hash (the same inputs give the same answer). */
    private final Map<String, List<Finding>> results = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Finding>> eldest) {
            return size() > 256;
        }
    };

    public DaemonConfigValidator(Sandbox sandbox) {
        this(sandbox, p -> Processes.which(p).map(ApacheConfigValidator::real));
    }

    DaemonConfigValidator(Sandbox sandbox, Function<String, Optional<Path>> programs) {
        this.sandbox = sandbox;
        this.programs = programs;
    }

    @Override
    public String id() { return RULE; }

    /** A spec may only declare checkers that exist (400 {@code unknown_daemon_checker}). */
    @Override
    public void check(ValidationSettings settings) {
        for (ValidationSettings.DaemonRef d : settings.daemons()) {
            if (DaemonChecker.named(d.name()).isEmpty()) {
                throw Problem.badRequest("unknown_daemon_checker", "validation.daemons: no checker named '" + d.name() + "'; known: "
                        + String.join(", ", DaemonChecker.names()));
            }
        }
    }

    /** What will run: each checker with its main config, and whether the spec declared it. */
    record Planned(DaemonChecker checker, String main, boolean declared) {}

    /** The checkers a tree calls for: those declared (at their configured main, else found) and those recognised. */
    static List<Planned> plan(ConfigTree tree, ConfigTree parent, ValidationSettings settings) {
        Map<String, Planned> out = new LinkedHashMap<>();
        for (ValidationSettings.DaemonRef d : settings.daemons()) {
            // declared: the file of that name is the config, whatever it holds now
            DaemonChecker.named(d.name()).ifPresent(c -> out.put(c.name(), new Planned(c, d.config() != null ? d.config()
                    : Optional.ofNullable(mainOf(tree, parent, c)).orElse(named(tree, c)), true)));
        }
        for (DaemonChecker c : DaemonChecker.ALL) {
            if (out.containsKey(c.name())) continue;
            String main = mainOf(tree, parent, c);
            if (main != null) out.put(c.name(), new Planned(c, main, false));
        }
        return List.copyOf(out.values());
    }

    static String mainOf(ConfigTree tree, DaemonChecker c) {
        return mainOf(tree, null, c);
    }

    /** The file with one of the checker's main names, whatever it holds, at the tree's root or in the daemon's own directory. */
    private static String named(ConfigTree tree, DaemonChecker c) {
        String own = References.basename(c.conventional());
        return tree.textPaths().stream().filter(c::isMain)
                .filter(p -> !p.contains("/") || References.basename(p.substring(0, p.lastIndexOf('/'))).equals(own))
                .min((a, b) -> Integer.compare(depth(a), depth(b))).orElse(null);
    }

    /**
     * The shallowest file with one of the checker's main names and its marker (a copy under docs/ or examples/ is not the
     * config; fail2ban's filter.d/squid.conf is not squid's).
     */
    static String mainOf(ConfigTree tree, ConfigTree parent, DaemonChecker c) {
        String best = null;
        for (String p : tree.textPaths()) {
            if (!c.isMain(p)) continue;
            // the edit may have taken the marker away (a misspelled "vcl 4.1;"): the parent's file still says what it is
            String before = parent == null ? null : parent.content(p);
            if (!c.marker().matcher(tree.content(p)).find() && (before == null || !c.marker().matcher(before).find())) continue;
            if (best == null || depth(p) < depth(best)) best = p;
        }
        return best;
    }

    private static int depth(String p) {
        return (int) p.chars().filter(ch -> ch == '/').count();
    }

    @Override
    public List<Finding> validate(ValidationInput input) {
        List<Finding> out = new ArrayList<>();
        for (Planned p : plan(input.tree(), input.parent(), input.settings())) {
            DaemonChecker c = p.checker();
            if (p.main() == null || !input.tree().contains(p.main())) {
                out.add(Finding.error(c.rule(), p.main(), 0, 0, "validation.daemons declares " + c.name() + ", but "
                        + (p.main() == null ? "the tree holds no " + String.join(" or ", c.mainNames()) : "'" + p.main() + "' is not in the tree")));
                continue;
            }
            Optional<Path> program = programs.apply(c.program());
            String skipped = program.isEmpty() ? c.program() + " is not installed (Debian: apt-get install " + c.debianPackage() + ")"
                    : !sandbox.available() ? "the sandbox is unavailable: " + sandbox.unavailableReason() : null;
            if (skipped != null) {
                // a declared check that cannot run blocks; one only recognised from a file name is a notice
                if (p.declared()) out.add(Finding.error(c.rule(), p.main(), 0, 0, c.name() + " checker could not run: " + skipped));
                else input.notice(c.rule() + " skipped: " + skipped);
                continue;
            }
            List<Finding> found = run(input, input.tree(), c, p.main(), program.get());
            out.addAll(found);
            out.addAll(atChangedLines(input, c, p.main(), program.get(), found));
        }
        return out;
    }

    /**
     * A checker reports where its parser stopped, which may be far from the mistake (lighttpd names the line after the
     * one that used a misspelled variable; a deleted brace shows at the file's end). When the parent version is known
     * and passes the same checker, the change broke it: the first changed line of each changed file is reported too.
     */
    private List<Finding> atChangedLines(ValidationInput input, DaemonChecker c, String main, Path program, List<Finding> found) {
        if (input.parent() == null || found.isEmpty()) return List.of();
        Map<String, Integer> changed = firstChangedLines(input.parent(), input.tree());
        boolean placed = found.stream().anyMatch(f -> changed.containsKey(f.path()) && Math.abs(changed.get(f.path()) - f.line()) <= 1);
        if (placed || changed.isEmpty() || !input.parent().contains(main)) return List.of();
        try (ValidationInput before = new ValidationInput(input.parent(), null, input.settings(), new FileCache(), input.turn())) {
            if (!run(before, input.parent(), c, main, program).isEmpty()) return List.of();
        }
        Finding first = found.get(0);
        String where = first.path() == null ? "" : " (reported at " + first.path() + (first.line() > 0 ? ":" + first.line() : "") + ")";
        List<Finding> out = new ArrayList<>();
        changed.forEach((path, line) -> out.add(Finding.error(c.rule(), path, line, 0,
                "fails since this change (the parent version passes): " + first.message() + where)));
        return out;
    }

    /** Text files that differ from the parent (at most 5), each with its first line that differs. */
    static Map<String, Integer> firstChangedLines(ConfigTree parent, ConfigTree tree) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String p : tree.textPaths()) {
            if (out.size() == 5) break;
            String now = tree.content(p);
            String was = parent.content(p);
            if (now.equals(was)) continue;
            if (was == null) {
                out.put(p, 1);
                continue;
            }
            String[] a = was.split("\n", -1);
            String[] b = now.split("\n", -1);
            int i = 0;
            while (i < a.length && i < b.length && a[i].equals(b[i])) i++;
            out.put(p, Math.min(i + 1, b.length));
        }
        return out;
    }

    private List<Finding> run(ValidationInput input, ConfigTree tree, DaemonChecker c, String main, Path program) {
        String mount = ConfigTest.mountPoint(main, input.settings().deployPath(), c.conventional());
        // a tree is checked again as the parent of the next push, and a release validates the tree its push did
        String key = c.name() + '\0' + program + '\0' + mount + '\0' + main + '\0' + tree.treeHash();
        synchronized (results) {
            List<Finding> known = results.get(key);
            if (known != null) return known;
        }
        List<Finding> found = runUncached(input, tree, c, main, program, mount);
        synchronized (results) {
            results.put(key, found);
        }
        return found;
    }

    private List<Finding> runUncached(ValidationInput input, ConfigTree tree, DaemonChecker c, String main, Path program, String mount) {
        String mainAbs = (mount.equals("/") ? "" : mount) + "/" + main;
        Job job = new Job(c.commandLine(program.toString(), mainAbs), mounts(input.materializedFor(sandbox), tree, mount, c),
                Map.of("LANG", "C", "HOME", "/tmp", "TMPDIR", "/tmp"), "/", Job.Limits.DEFAULT.withTimeout(TIMEOUT), false);
        Sandbox.Result r = sandbox.run(job, input.turn());
        if (r.timedOut()) return List.of(Finding.error(c.rule(), main, 0, 0, c.program() + " timed out after " + TIMEOUT.toSeconds() + " s"));
        return findings(c, r.exitCode(), r.output(), mount, tree, main);
    }

    private static List<Job.Mount> mounts(Path dir, ConfigTree tree, String mount, DaemonChecker c) {
        List<Job.Mount> m = new ArrayList<>(ConfigTest.treeMounts(dir, tree, mount));
        Set<String> scratchRoots = new LinkedHashSet<>(List.of("/run", "/tmp", "/var/log", "/var/lib", "/var/cache", "/var/spool"));
        for (String root : scratchRoots) m.add(new Job.Tmpfs(root, 16L << 20));
        m.add(new Job.Link("/run", "/var/run"));
        for (String d : c.scratch()) m.add(new Job.Dir(d));
        for (String f : c.hostFiles()) {
            // only where the tree does not bring its own
            if (Files.isReadable(Path.of(f)) && (!(f + "/").startsWith(mount + "/") || mount.equals("/etc") && !tree.contains(f.substring(5)))) m.add(new Job.ReadOnly(Path.of(f), f));
        }
        return m;
    }

    /**
     * Findings from a checker's output: every located line inside the mounted tree at its file and line (a name
     * without a directory, as logrotate prints files it included, is the tree's file of that name), keys named without
     * a place at their first line in the tree, and a failure that named nothing at the main config.
     */
    static List<Finding> findings(DaemonChecker c, int exitCode, String output, String mount, ConfigTree tree, String main) {
        String prefix = ConfigTest.prefix(mount);
        List<Finding> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Pattern p : c.located()) {
            Matcher m = p.matcher(output);
            while (m.find()) {
                String file = m.group("file").strip();
                int line = Integer.parseInt(m.group("line"));
                String msg = ConfigTest.inTreeTerms(m.group("msg").strip(), mount, tree);
                String rel = file.startsWith(prefix) ? file.substring(prefix.length()) : file.startsWith("/") ? null : byName(tree, file);
                if (rel == null || !tree.contains(rel)) {
                    if (!file.startsWith("/") && rel == null) continue;
                    rel = main;
                    line = 0;
                    msg = msg + " (in " + file + ", outside the tree: the checker sees only the tree and the system's programs)";
                }
                if (!seen.add(rel + ":" + line)) continue;
                if (UNKNOWN_ACCOUNT.matcher(msg).find()) {
                    // the sandbox knows Debian's system users and the daemons' own, not the host's: a name it lacks may exist there
                    out.add(Finding.of(c.rule(), FindingSeverity.WARNING, rel, line, 0, c.program() + ": " + msg
                            + " (the sandbox knows only Debian's system users and the daemons' own; check the host has it)", null, null));
                } else if (MISSING_PROGRAM.matcher(msg).find()) {
                    out.add(Finding.of(c.rule(), FindingSeverity.WARNING, rel, line, 0, c.program() + ": " + msg
                            + " (not installed where Rollguard runs; check the host has it)", null, null));
                } else {
                    out.add(Finding.error(c.rule(), rel, line, 0, c.program() + ": " + msg));
                }
            }
        }
        if (c.unlocated() != null) {
            Matcher m = c.unlocated().matcher(output);
            while (m.find()) {
                String key = m.group("key");
                Place at = firstUse(tree, main, key);
                if (seen.add(at.path() + ":" + at.line())) out.add(Finding.error(c.rule(), at.path(), at.line(), 0, c.program() + ": " + m.group("msg").strip()));
            }
        }
        if (!out.isEmpty() || exitCode == 0) return out;
        String text = ConfigTest.inTreeTerms(output.strip(), mount, tree);
        // a failure only for programs this machine lacks (a unit's ExecStart of a daemon not installed here) is the host's to judge
        List<String> missing = text.lines().filter(l -> MISSING_PROGRAM.matcher(l).find()).toList();
        if (!missing.isEmpty() && text.lines().allMatch(l -> l.isBlank() || MISSING_PROGRAM.matcher(l).find())) {
            return missing.stream().map(l -> Finding.of(c.rule(), FindingSeverity.WARNING, main, 0, 0, c.program() + ": " + l.strip()
                    + " (not installed where Rollguard runs; check the host has it)", null, null)).toList();
        }
        return List.of(Finding.error(c.rule(), main, 0, 0, c.program() + " exited with " + exitCode + ": "
                + (text.isEmpty() ? "no message" : Text.firstLines(text, 3))));
    }

    /** A file the checker named without its directory: the one file of the tree with that name, else none. */
    private static String byName(ConfigTree tree, String name) {
        String found = null;
        for (String p : tree.textPaths()) {
            if (!References.basename(p).equals(name) && !p.endsWith("/" + name)) continue;
            if (found != null) return null;
            found = p;
        }
        return found;
    }

    private record Place(String path, int line) {}

    /**
     * Where a key first appears in the main config's directory (as the start of a line), else where it is first a
     * setting's whole value (fail2ban's {@code filter = shd}), else the main config itself.
     */
    private static Place firstUse(ConfigTree tree, String main, String key) {
        int slash = main.lastIndexOf('/');
        String dir = slash < 0 ? "" : main.substring(0, slash + 1);
        String k = Pattern.quote(key);
        for (Pattern use : List.of(Pattern.compile("(?m)^[ \\t]*" + k + "[ \\t]*[+:]?="),
                Pattern.compile("(?m)^[ \\t]*[A-Za-z0-9_.-]+[ \\t]*[:=][ \\t]*" + k + "(?![A-Za-z0-9_.-])"))) {
            for (String p : tree.textPaths()) {
                if (!p.startsWith(dir)) continue;
                String content = tree.content(p);
                Matcher m = use.matcher(content);
                if (m.find()) return new Place(p, Text.lineOf(Text.lineStarts(content), m.start()));
            }
        }
        return new Place(main, 0);
    }
}
