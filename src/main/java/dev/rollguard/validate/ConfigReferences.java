package dev.rollguard.validate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.rollguard.config.ConfigPaths;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.validate.References.Kind;
import dev.rollguard.validate.References.Resolution;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * References in config files: Apache {@code Include}/{@code IncludeOptional} (relative to the ServerRoot: the
 * directory of apache2.conf/httpd.conf), nginx {@code include} (relative to nginx's prefix: the directory of
 * nginx.conf), absolute ones through the tree's mount point, and {@code ./relative} path values or values below
 * the deploy path in YAML/JSON/INI/conf files. A wildcard that matches nothing is legal for IncludeOptional and
 * nginx, but when the same file's include matched files in the parent version, the edit broke it: an error.
 */
final class ConfigReferences {
    // Apache's directive names are case-insensitive, but a lowercase "include" is nginx's or another language's
    // (Icinga 2's include <itl>): written as Apache's manual writes them, or not Apache's
    private static final Pattern APACHE_INCLUDE = Pattern.compile("(?m)^[ \\t]*(Include|IncludeOptional|INCLUDE|INCLUDEOPTIONAL)[ \\t]+(\"?)([^\"\\s<>]+)\\2[ \\t]*$");
    private static final Pattern NGINX_INCLUDE = Pattern.compile("(?m)^[ \\t]*include[ \\t]+([\"']?)([^;\"'\\s]+)\\1[ \\t]*;");
    private static final Pattern PATH_VALUE = Pattern.compile("(?<=[=:\\s\"'(,])(\\./[A-Za-z0-9_][A-Za-z0-9_.@+~/-]*)(?=$|[\\s\"',;)])",
            Pattern.MULTILINE);
    private static final Pattern RELATIVE_PATH = Pattern.compile("\\./[A-Za-z0-9_][A-Za-z0-9_.@+~/-]*");
    private static final Set<String> VALUE_FILES = Set.of("yaml", "yml", "ini", "properties", "conf", "toml", "env", "cfg", "xml");
    /** Where Apache and nginx configuration lives: files with these extensions, or none. */
    private static final Set<String> SERVER_CONFIG = Set.of("conf", "load", "vhost", "htaccess", "site", "types", "");
    private static final JsonFactory JSON = new JsonFactory();

    private final References refs;
    private final ValidationInput input;
    private final String serverRoot;
    private final String nginxPrefix;
    private final DaemonIncludes daemons;

    ConfigReferences(References refs, ValidationInput input) {
        this.refs = refs;
        this.input = input;
        this.serverRoot = shallowestDir(input.tree(), "apache2.conf", "httpd.conf");
        this.nginxPrefix = shallowestDir(input.tree(), "nginx.conf");
        this.daemons = new DaemonIncludes(refs, input);
    }

    /**
     * Absolute include targets (Apache, nginx, the other daemons'), the votes for the tree's mount point. What each file
     * holds is kept in {@code cache} by its hash: a push changes few files, and this runs for the tree and its parent.
     */
    static List<String> absoluteTargets(ConfigTree tree, FileCache cache) {
        List<String> out = new ArrayList<>();
        tree.files().forEach((path, content) -> out.addAll(cache.get("server-include-targets", path, tree.hash(path),
                () -> serverTargets(path, content))));
        out.addAll(DaemonIncludes.mainVotes(tree));
        tree.files().forEach((path, content) -> out.addAll(cache.get("daemon-include-targets", path, tree.hash(path),
                () -> DaemonIncludes.absoluteTargets(path, content))));
        return out;
    }

    private static List<String> serverTargets(String path, String content) {
        if (!serverConfig(path)) return List.of();
        List<String> out = new ArrayList<>();
        Matcher a = APACHE_INCLUDE.matcher(content);
        while (a.find()) if (a.group(3).startsWith("/")) out.add(a.group(3));
        Matcher n = NGINX_INCLUDE.matcher(content);
        while (n.find()) if (n.group(2).startsWith("/")) out.add(n.group(2));
        return List.copyOf(out);
    }

    List<Finding> findings() {
        return input.tree().files().entrySet().parallelStream().flatMap(e -> {
            List<Finding> out = new ArrayList<>();
            String path = e.getKey();
            if (PhpSource.isPhp(path)) return out.stream();
            String content = e.getValue();
            if (serverConfig(path)) {
                apache(path, content, out);
                nginx(path, content, out);
            }
            daemons.check(path, content, out);
            String ext = MissingReferenceValidator.extension(path);
            if (!translation(path) && !NotConfig.ci(path) && !NotConfig.fixture(path)) {
                if (ext.equals("json")) values(path, content, true, out);
                else if (VALUE_FILES.contains(ext)) values(path, content, false, out);
            }
            return out.stream();
        }).toList();
    }

    private void apache(String path, String content, List<Finding> out) {
        Matcher m = APACHE_INCLUDE.matcher(content);
        int[] lines = null;
        while (m.find()) {
            String target = m.group(3);
            if (target.endsWith(";")) continue; // nginx syntax, checked by nginx()
            // OpenSSH's Include reads like Apache's, and a wildcard matching nothing is fine to sshd (sshd_config.d/*.conf)
            boolean optional = m.group(1).toLowerCase(Locale.ROOT).equals("includeoptional") || sshConfig(path) && References.hasGlob(target);
            Resolution r = target.startsWith("/") ? refs.absolute(target) : refs.inTree(join(serverRoot, target));
            if (r.kind() == Kind.FOUND || r.kind() == Kind.UNKNOWN) continue;
            if (lines == null) lines = Text.lineStarts(content);
            int line = Text.lineOf(lines, m.start(3));
            // IncludeOptional exists to tolerate nothing to include, but not an edit that made it so
            String broke = optional ? brokenSinceParent(path, line, target, APACHE_INCLUDE, 3) : "";
            if (broke == null) continue;
            out.add(refs.missing(path, line, Text.columnOf(lines, m.start(3)), m.group(1) + " of '" + target + "': "
                    + (r.glob() ? "wildcard matches no file" : "no such file") + broke, r, FindingSeverity.ERROR,
                    MissingReferenceValidator.lineText(content, lines, line)));
        }
    }

    private void nginx(String path, String content, List<Finding> out) {
        Matcher m = NGINX_INCLUDE.matcher(content);
        int[] lines = null;
        while (m.find()) {
            String target = m.group(2);
            Resolution r;
            if (target.startsWith("/")) {
                r = refs.absolute(target);
            } else {
                // nginx resolves a relative include against its prefix; without nginx.conf we do not know it
                r = refs.inTree(join(nginxPrefix, target));
                if (r.kind() == Kind.MISSING && nginxPrefix == null) {
                    Resolution local = refs.inTree(ConfigPaths.parent(path) + "/" + target);
                    if (local.kind() == Kind.FOUND || refs.nearestPath(r.treePath()) == null) r = local.kind() == Kind.FOUND ? local : Resolution.unknown();
                }
            }
            if (r.kind() == Kind.FOUND || r.kind() == Kind.UNKNOWN) continue;
            if (lines == null) lines = Text.lineStarts(content);
            int line = Text.lineOf(lines, m.start(2));
            // nginx accepts a wildcard that matches nothing, but not an edit that made it so
            String broke = r.glob() ? brokenSinceParent(path, line, target, NGINX_INCLUDE, 2) : "";
            if (broke == null) continue;
            out.add(refs.missing(path, line, Text.columnOf(lines, m.start(2)), "include of '" + target + "': "
                    + (r.glob() ? "wildcard matches no file" : "no such file") + broke, r, FindingSeverity.ERROR,
                    MissingReferenceValidator.lineText(content, lines, line)));
        }
    }

    /**
     * Why an include of a wildcard that now matches nothing is an error after all, or null when it is not: it matched
     * files in the parent version, or it replaced an include of the parent's same file that did; or, with no parent,
     * its directory is one typo away from one that exists.
     */
    private String brokenSinceParent(String path, int line, String target, Pattern include, int group) {
        String prefix = include == NGINX_INCLUDE ? nginxPrefix : serverRoot;
        return brokenSinceParent(input, refs, path, line, target, include, group,
                (r, t) -> t.startsWith("/") ? r.absolute(t) : r.inTree(join(prefix, t)));
    }

    /**
     * Why an include that now names nothing is an error after all, or null when it is not: what {@code include}'s
     * {@code group} named in the parent version ({@code resolve} looks a target up in a version's references) matched
     * files then, or, with no parent, its directory is one typo away from one that exists.
     */
    static String brokenSinceParent(ValidationInput input, References refs, String path, int line, String target, Pattern include, int group,
                                    BiFunction<References, String, Resolution> resolve) {
        TreeIndex parent = input.parentIndex();
        String parentContent = input.parent() == null ? null : input.parent().content(path);
        if (parentContent == null) {
            Resolution r = target.startsWith("/") ? refs.absolute(target) : refs.inTree(target);
            if (r.treePath() == null) return null;
            String fixed = TreeIndex.fixedPart(r.treePath());
            String near = fixed.isEmpty() || refs.index().lookup(fixed) == TreeIndex.Presence.FOUND ? null : refs.nearestDirectory(fixed);
            return near == null ? null : " (did you mean '" + near + "/'?)";
        }
        References parentRefs = new References(parent, input.settings(), refs.mount());
        Matcher m = include.matcher(parentContent);
        List<String> sameLine = new ArrayList<>();
        int[] parentLines = Text.lineStarts(parentContent);
        while (m.find()) {
            String before = m.group(group);
            if (before.equals(target)) {
                // an include the edit did not touch is judged by what it matched before
                return resolve.apply(parentRefs, before).kind() == Kind.FOUND ? " (it matched files in the parent version)" : null;
            }
            if (Math.abs(Text.lineOf(parentLines, m.start(group)) - line) <= 1) sameLine.add(before);
        }
        String current = input.tree().content(path);
        for (String before : sameLine) {
            if (!current.contains(before) && resolve.apply(parentRefs, before).kind() == Kind.FOUND) {
                return " (the include it replaced, '" + before + "', matched files in the parent version)";
            }
        }
        return null;
    }

    /** A path value in a config file, where it is. */
    private record Value(String value, int line, int column) {}

    private void values(String path, String content, boolean json, List<Finding> out) {
        String deploy = input.settings().deployPath();
        List<Value> values = input.cache().get("path-values:" + deploy, path, input.tree().hash(path),
                () -> json ? jsonValues(content, deploy) : pathValues(content, deploy));
        int[] lines = null;
        for (Value v : values) {
            if (lines == null) lines = Text.lineStarts(content);
            Finding f = value(path, v.value(), v.line(), v.column(), content, lines);
            if (f != null) out.add(f);
        }
    }

    private static List<Value> pathValues(String content, String deploy) {
        List<Matcher> matchers = new ArrayList<>();
        matchers.add(PATH_VALUE.matcher(content));
        if (deploy != null) {
            matchers.add(Pattern.compile("(?<=[=:\\s\"'(,])(" + Pattern.quote(References.trimEndSlash(deploy)) + "/[^\\s\"',;)]*)").matcher(content));
        }
        List<Value> out = new ArrayList<>();
        int[] lines = null;
        for (Matcher m : matchers) {
            while (m.find()) {
                int lineStart = content.lastIndexOf('\n', m.start()) + 1;
                String before = content.substring(lineStart, m.start()).strip().toLowerCase(Locale.ROOT);
                if (before.startsWith("#") || before.startsWith(";") || before.startsWith("include")) continue;
                if (lines == null) lines = Text.lineStarts(content);
                out.add(new Value(m.group(1), Text.lineOf(lines, m.start(1)), Text.columnOf(lines, m.start(1))));
            }
        }
        return List.copyOf(out);
    }

    /** JSON string values that are paths, except under composer's "scripts" (commands for developers, not references). */
    private static List<Value> jsonValues(String content, String deploy) {
        List<Value> out = new ArrayList<>();
        try (JsonParser p = JSON.createParser(content)) {
            Deque<String> keys = new ArrayDeque<>();
            String field = null;
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                switch (t) {
                    case FIELD_NAME -> field = p.currentName();
                    case START_OBJECT, START_ARRAY -> {
                        keys.push(field == null ? "" : field);
                        field = null;
                    }
                    case END_OBJECT, END_ARRAY -> keys.poll();
                    case VALUE_STRING -> {
                        String v = p.getText();
                        boolean isPath = RELATIVE_PATH.matcher(v).matches() || deploy != null && v.startsWith(References.trimEndSlash(deploy) + "/");
                        if (isPath && !keys.contains("scripts") && !"scripts".equals(field)) {
                            out.add(new Value(v, p.currentTokenLocation().getLineNr(), p.currentTokenLocation().getColumnNr() + 1));
                        }
                        field = null;
                    }
                    default -> field = null;
                }
            }
        } catch (IOException e) {
            // invalid JSON is the syntax validator's finding
        }
        return List.copyOf(out);
    }

    private Finding value(String path, String value, int line, int column, String content, int[] lines) {
        Resolution r = value.startsWith("/") ? refs.absolute(value) : refs.inTree(ConfigPaths.parent(path) + "/" + value);
        if (r.kind() == Kind.FOUND || r.kind() == Kind.UNKNOWN) return null;
        return refs.missing(path, line, column, "path '" + value + "' refers to no file in the tree", r, FindingSeverity.ERROR,
                MissingReferenceValidator.lineText(content, lines, line));
    }

    private static boolean serverConfig(String path) {
        String name = References.basename(path);
        String ext = MissingReferenceValidator.extension(path);
        return SERVER_CONFIG.contains(ext) && !name.startsWith("README") && !name.startsWith("LICENSE") && !name.equals("Makefile")
                && !translation(path);
    }

    private static boolean sshConfig(String path) {
        String name = References.basename(path);
        return name.equals("sshd_config") || name.equals("ssh_config") || path.contains("sshd_config.d/") || path.contains("ssh_config.d/");
    }

    /** Translations hold text in other languages, where "./" is punctuation. */
    static boolean translation(String path) {
        for (String part : path.toLowerCase(Locale.ROOT).split("/")) {
            if (part.equals("i18n") || part.equals("l10n") || part.equals("locale") || part.equals("locales") || part.equals("languages")
                    || part.equals("lang") || part.equals("translations")) return true;
        }
        return false;
    }

    private static String shallowestDir(ConfigTree tree, String... names) {
        String best = null;
        for (String p : tree.paths()) {
            String name = References.basename(p);
            for (String n : names) {
                if (!name.equals(n)) continue;
                String dir = ConfigPaths.parent(p);
                if (best == null || dir.split("/").length < best.split("/").length || dir.isEmpty()) best = dir;
            }
        }
        return best;
    }

    private static String join(String dir, String path) {
        return dir == null || dir.isEmpty() ? path : dir + "/" + path;
    }
}
