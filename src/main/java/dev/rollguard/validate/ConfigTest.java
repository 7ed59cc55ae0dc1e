package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.sandbox.Job;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the config-test validators ({@code apache2 -t}, {@code nginx -t}) share, as pure functions: where the tree is
 * mounted in the sandbox, and how the tool's output becomes findings that say nothing of any file outside the tree.
 */
final class ConfigTest {
    /** Where a tree goes when neither its deploy path nor its main config's conventional place can be used. */
    static final String FALLBACK_MOUNT = "/srv/tree";
    /** Places the sandbox itself needs (programs, libraries, scratch): a tree is never mounted on, above or below them. */
    private static final List<String> RESERVED = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/dev", "/proc",
            "/run", "/tmp", "/var/log", "/var/lib", "/var/run", "/var/lock");
    /** Files the sandbox lays over /etc: a tree may be mounted at /etc (a copy of a host's /etc), never at or under these. */
    private static final List<String> OVERLAID = List.of("/etc/passwd", "/etc/group", "/etc/alternatives", "/etc/ld.so.cache");
    private static final Pattern SAFE = Pattern.compile("(/[A-Za-z0-9._-]+)+");

    private ConfigTest() {}

    /**
     * Where the tree is mounted so the config's own absolute paths mean what they mean on a host: the service's
     * deployPath when set; else the conventional directory of the main config ({@code /etc/apache2},
     * {@code /etc/nginx}) placed so the main config lands there (a tree holding {@code apache2/apache2.conf} goes to
     * /etc); else {@link #FALLBACK_MOUNT}.
     */
    static String mountPoint(String mainConfig, String deployPath, String conventional) {
        if (deployPath != null && usable(deployPath)) return strip(deployPath);
        int slash = mainConfig.lastIndexOf('/');
        String dir = slash < 0 ? "" : mainConfig.substring(0, slash);
        if (dir.isEmpty()) return usable(conventional) ? conventional : FALLBACK_MOUNT;
        if (conventional.endsWith("/" + dir)) {
            String mount = conventional.substring(0, conventional.length() - dir.length() - 1);
            if (usable(mount)) return mount;
        }
        return FALLBACK_MOUNT;
    }

    private static String strip(String p) {
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    private static boolean usable(String mount) {
        String m = strip(mount);
        if (!SAFE.matcher(m).matches() || m.contains("/../") || m.endsWith("/..") || m.contains("/./")) return false;
        for (String r : RESERVED) {
            if (m.equals(r) || m.startsWith(r + "/") || r.startsWith(m + "/")) return false;
        }
        for (String r : OVERLAID) {
            if (m.equals(r) || m.startsWith(r + "/")) return false;
        }
        return true;
    }

    /** Where the sandbox puts its own files over /etc (users and groups, the linker's cache, Debian's alternatives). */
    private static final List<String> SANDBOX_ETC = List.of("passwd", "group", "alternatives", "ld.so.cache");

    /**
     * How the materialized tree {@code dir} is laid at {@code mount}: read only, in one piece, except at /etc (a
     * deployPath of /etc, or a tree holding {@code apache2/apache2.conf}). A read-only /etc could not take the sandbox's
     * own passwd and group (bubblewrap fails: "Can't create file at /etc/group"), and would hide the linker's cache and
     * Debian's alternatives the programs need: there /etc is a small scratch directory holding each of the tree's
     * entries (links as links, never followed on the host), and the host's public alternatives and linker cache.
     */
    static List<Job.Mount> treeMounts(Path dir, ConfigTree tree, String mount) {
        if (!mount.equals("/etc")) return List.of(new Job.ReadOnly(dir, mount));
        List<Job.Mount> m = new ArrayList<>();
        m.add(new Job.Tmpfs("/etc", 1L << 20));
        for (String host : List.of("/etc/alternatives", "/etc/ld.so.cache")) {
            if (Files.exists(Path.of(host))) m.add(new Job.ReadOnly(Path.of(host), host));
        }
        for (String name : topLevel(tree)) {
            if (SANDBOX_ETC.contains(name)) continue;
            String link = tree.links().get(name);
            if (link != null) m.add(new Job.Link(link, "/etc/" + name));
            else m.add(new Job.ReadOnly(dir.resolve(name), "/etc/" + name));
        }
        return m;
    }

    private static Set<String> topLevel(ConfigTree tree) {
        Set<String> top = new TreeSet<>();
        for (String p : tree.paths()) top.add(p.contains("/") ? p.substring(0, p.indexOf('/')) : p);
        top.addAll(tree.links().keySet().stream().filter(l -> !l.contains("/")).toList());
        return top;
    }

    /**
     * A tool's output in the tree's terms: a path of the tree loses the mount point ({@code /etc/apache2/ports.conf} at
     * mount /etc/apache2 is {@code ports.conf}). Any mount but /etc is the tree's own directory, so everything under it
     * is the tree's. /etc is shared: only the tree's entries there are the tree's ({@code /etc/apache2/ports.conf} is
     * {@code apache2/ports.conf}); others are the sandbox's or the host's ({@code /etc/group}, {@code /etc/mime.types})
     * and stay whole (stripping "/etc/" from every path turned "Can't create file at /etc/group" into "at group").
     */
    static String inTreeTerms(String text, String mount, ConfigTree tree) {
        String prefix = prefix(mount);
        Matcher m = Pattern.compile(Pattern.quote(prefix) + "([^/\\s:\"'`,;()\\[\\]]*)").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            // the entry's whole name: "/etc/apache2x" is not the tree's "apache2"
            String name = m.group(1);
            m.appendReplacement(out, Matcher.quoteReplacement(isTrees(mount, name, tree) ? name : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The mount point as the start of the paths under it. */
    static String prefix(String mount) {
        return mount.equals("/") ? "/" : mount + "/";
    }

    /** Whether the entry {@code name} right under the mount point is the tree's (see {@link #inTreeTerms}). */
    private static boolean isTrees(String mount, String name, ConfigTree tree) {
        return !mount.equals("/etc") || topLevel(tree).contains(name);
    }

    /** Apache's directives that load a shared object: {@code LoadModule name path} and {@code LoadFile path}. */
    static final Pattern APACHE_LOADS = Pattern.compile("(?im)^[ \\t]*(?:LoadModule[ \\t]+\\S+|LoadFile)[ \\t]+\"?([^\"\\s]+)");
    /** nginx's {@code load_module path;}. */
    static final Pattern NGINX_LOADS = Pattern.compile("(?m)^[ \\t]*load_module[ \\t]+[\"']?([^\"';\\s]+)");

    /**
     * Shared objects the config would load from anywhere but the system's /usr: a pushed {@code .so} loaded by the
     * config test would run the pusher's code inside {@code apache2 -t}/{@code nginx -t}. Each becomes an error and the
     * config test does not run. A relative path is resolved against {@code base} (ServerRoot, nginx's prefix); a path
     * naming a variable cannot be resolved here and is refused too.
     */
    static List<Finding> foreignModules(String rule, ConfigTree tree, Pattern loads, String base) {
        List<Finding> out = new ArrayList<>();
        for (String path : tree.paths()) {
            String text = tree.lenientText(path);
            if (text == null) continue;
            Matcher m = loads.matcher(text);
            while (m.find()) {
                String module = m.group(1);
                String resolved = Path.of(module.startsWith("/") ? module : base + "/" + module).normalize().toString();
                if (!resolved.startsWith("/usr/") || module.contains("$")) {
                    int line = 1 + (int) text.substring(0, m.start(1)).chars().filter(c -> c == '\n').count();
                    out.add(Finding.error(rule, path, line, 0, "loads " + module + ": modules are loaded only from the system (/usr), "
                            + "never from the tree; the config test did not run"));
                }
            }
        }
        return out;
    }

    /**
     * Findings from a config test's output. {@code located} finds "(message, file, line)" groups named {@code msg},
     * {@code file} and {@code line}. A location inside the mounted tree becomes that file and line; a location outside
     * it (a file of /usr read as configuration) becomes a finding at the main config that names no content; any
     * other output is reported at the main config with the tree's mount point removed.
     */
    static List<Finding> findings(String rule, String tool, String output, String mount, ConfigTree tree, String main, Pattern located) {
        String prefix = prefix(mount);
        List<Finding> out = new ArrayList<>();
        Matcher m = located.matcher(output);
        while (m.find()) {
            String file = m.group("file").strip();
            int line = Integer.parseInt(m.group("line"));
            String message = explainOutside(Text.firstLines(m.group("msg").strip(), 2), mount, tree);
            if (file.startsWith(prefix)) {
                String rel = file.substring(prefix.length());
                out.add(Finding.error(rule, tree.contains(rel) ? rel : main, tree.contains(rel) ? line : 0, 0,
                        tool + ": " + inTreeTerms(message, mount, tree)));
            } else {
                out.add(Finding.error(rule, main, 0, 0, tool + ": a file outside the tree was read as configuration ("
                        + file + "); the config test sees only the tree and the system's programs"));
            }
        }
        if (!out.isEmpty()) return out;
        String text = output.strip();
        if (text.isEmpty()) text = "failed without a message";
        return List.of(Finding.error(rule, main, 0, 0, tool + ": " + inTreeTerms(explainOutside(Text.firstLines(text, 3), mount, tree), mount, tree)));
    }

    private static final Pattern NOT_OPENED = Pattern.compile("(?:Could not open configuration file|Could not open config directory|"
            + "open\\(\\) \")\\s*(/[^\\s:\"]+)");

    /** "Could not open /etc/shadow": the same for every path outside the tree, since none is visible; say why. */
    private static String explainOutside(String message, String mount, ConfigTree tree) {
        String prefix = prefix(mount);
        Matcher m = NOT_OPENED.matcher(message);
        if (m.find() && !(m.group(1).startsWith(prefix) && isTrees(mount, m.group(1).substring(prefix.length()).split("/")[0], tree))) {
            return message + " (outside the tree: the config test sees only the tree)";
        }
        return message;
    }
}
