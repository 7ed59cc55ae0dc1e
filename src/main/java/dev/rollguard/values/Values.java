package dev.rollguard.values;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * A version's values, as its values file ({@link #PATH}, in the pushed tree, so a value change is a new version like a
 * file change) declares them: {@code defaults}, then per environment, per host group and per host, each level merged
 * over the one before (maps key by key). {@code templates} names, by glob, the files rendered with them besides those
 * ending in {@link #SUFFIX}. A value {@code {secret: rg-sealed:…}} is a {@link Secret}: pushed sealed (by {@code rollguard
 * seal}), so the values file, its Git history and the stored version hold no plain text.
 */
public record Values(Map<String, Object> defaults, Map<String, Map<String, Object>> environments, List<Group> groups,
                     Map<String, Map<String, Object>> hosts, List<String> templates) {
    /** Where a tree keeps its values; a tree without this file is delivered byte for byte, nothing rendered. */
    public static final String PATH = "rollguard.values.yaml";
    /** A file named {@code x.tmpl} is rendered and delivered as {@code x}. */
    public static final String SUFFIX = ".tmpl";
    /** Names of values, environments, groups and hosts: what a Mustache tag can name without quoting. */
    private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$");
    /** A value's name: no '.', which Mustache reads as "a value inside a value" ({{db.host}}). */
    private static final Pattern VALUE_NAME = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$");
    private static final Set<String> SECTIONS = Set.of("defaults", "environments", "groups", "hosts", "templates");

    /** Hosts named in {@code hosts}, and the values they share. */
    public record Group(String name, List<String> hosts, Map<String, Object> values) {}

    /** A secret value: its sealed envelope (a push refuses one that is not sealed). */
    public record Secret(String text) {
        @Override
        public String toString() { return "********"; }
    }

    public Values {
        defaults = Collections.unmodifiableMap(new LinkedHashMap<>(defaults));
        environments = Collections.unmodifiableMap(new LinkedHashMap<>(environments));
        groups = List.copyOf(groups);
        hosts = Collections.unmodifiableMap(new LinkedHashMap<>(hosts));
        templates = List.copyOf(templates);
    }

    /** The values file's content; a file that is not what this format says is refused, naming where and why (400). */
    public static Values parse(String text) {
        JsonNode root;
        try {
            root = Json.YAML.readTree(text);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw invalid((at == null ? "" : "line " + at.getLineNr() + ": ") + e.getOriginalMessage().split("\n")[0]);
        }
        if (root == null || root.isMissingNode() || root.isNull()) return new Values(Map.of(), Map.of(), List.of(), Map.of(), List.of());
        if (!root.isObject()) throw invalid("the file must be a map with defaults, environments, groups, hosts and templates");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!SECTIONS.contains(key)) throw invalid("unknown section '" + key + "' (known: defaults, environments, groups, hosts, templates)");
        }
        Map<String, Object> defaults = values(root.get("defaults"), "defaults");
        Map<String, Map<String, Object>> envs = named(root.get("environments"), "environments");
        Map<String, Map<String, Object>> hosts = named(root.get("hosts"), "hosts");
        List<Group> groups = new ArrayList<>();
        JsonNode g = root.get("groups");
        if (g != null && !g.isNull()) {
            if (!g.isObject()) throw invalid("groups must map a group's name to its hosts and values");
            for (var e : iterable(g.fields())) {
                String where = "groups." + e.getKey();
                name(e.getKey(), "groups");
                JsonNode body = e.getValue();
                if (!body.isObject() || !body.path("hosts").isArray()) throw invalid(where + " needs 'hosts' (a list of host ids) and 'values'");
                for (var k : iterable(body.fieldNames())) {
                    if (!k.equals("hosts") && !k.equals("values")) throw invalid(where + ": unknown key '" + k + "' (hosts, values)");
                }
                List<String> members = new ArrayList<>();
                for (JsonNode h : body.get("hosts")) {
                    if (!h.isTextual()) throw invalid(where + ".hosts: a host id is text, not " + h);
                    members.add(name(h.asText(), where + ".hosts"));
                }
                groups.add(new Group(e.getKey(), members, values(body.get("values"), where + ".values")));
            }
        }
        List<String> templates = new ArrayList<>();
        JsonNode t = root.get("templates");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) throw invalid("templates must be a list of globs (such as 'etc/apache2/sites-available/*.conf')");
            for (JsonNode glob : t) {
                if (!glob.isTextual() || glob.asText().isBlank()) throw invalid("templates: a glob is text, not " + glob);
                try {
                    FileSystems.getDefault().getPathMatcher("glob:" + glob.asText());
                } catch (IllegalArgumentException ex) {
                    throw invalid("templates: '" + glob.asText() + "' is not a glob (" + ex.getMessage() + ")");
                }
                templates.add(glob.asText());
            }
        }
        return new Values(defaults, envs, groups, hosts, templates);
    }

    /** The values a rendering for {@code env} and {@code host} (null: the environment's own rendering) sees. */
    public Map<String, Object> resolve(String env, String host) {
        Map<String, Object> out = new LinkedHashMap<>();
        merge(out, defaults);
        merge(out, environments.getOrDefault(env, Map.of()));
        if (host != null) {
            for (Group g : groups) if (g.hosts().contains(host)) merge(out, g.values());
            merge(out, hosts.getOrDefault(host, Map.of()));
        }
        return out;
    }

    /** Hosts that have values of their own (in {@code hosts} or a group): each gets, and is validated on, its own rendering. */
    public Set<String> hostsWithOwnValues() {
        Set<String> out = new TreeSet<>(hosts.keySet());
        groups.forEach(g -> out.addAll(g.hosts()));
        return out;
    }

    private static boolean suffixed(String path) {
        return path.endsWith(SUFFIX) && path.length() > SUFFIX.length() && !path.endsWith("/" + SUFFIX);
    }

    /**
     * The name a file of a tree is delivered under: a {@link #SUFFIX} template's without its suffix when the tree has
     * values (only then is it rendered), every other file's its own. For rules written against what lands on the host.
     */
    public static UnaryOperator<String> deliveredNames(ConfigTree tree) {
        if (tree.entry(PATH) == null) return UnaryOperator.identity();
        return path -> suffixed(path) ? path.substring(0, path.length() - SUFFIX.length()) : path;
    }

    public boolean isTemplate(String path) {
        if (suffixed(path)) return true;
        for (String glob : templates) {
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            if (m.matches(Path.of(path))) return true;
        }
        return false;
    }

    /** Every secret, wherever it stands. */
    public List<Secret> secrets() {
        List<Secret> out = new ArrayList<>();
        collect(defaults, out);
        environments.values().forEach(v -> collect(v, out));
        groups.forEach(g -> collect(g.values(), out));
        hosts.values().forEach(v -> collect(v, out));
        return out;
    }

    // ------------------------------------------------------------------ parsing

    private static Problem invalid(String why) {
        return new Problem(400, "invalid_values", PATH + ": " + why, Map.of("path", PATH));
    }

    private static String name(String name, String where) {
        if (!NAME.matcher(name).matches()) {
            throw invalid(where + ": '" + name + "' is not a name (letters, digits, '_', '.', '-'; at most 100)");
        }
        return name;
    }

    private static Map<String, Map<String, Object>> named(JsonNode node, String where) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) return out;
        if (!node.isObject()) throw invalid(where + " must map names to their values");
        for (var e : iterable(node.fields())) out.put(name(e.getKey(), where), values(e.getValue(), where + "." + e.getKey()));
        return out;
    }

    private static Map<String, Object> values(JsonNode node, String where) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) return out;
        if (!node.isObject()) throw invalid(where + " must map value names to values, not " + kind(node));
        for (var e : iterable(node.fields())) {
            String key = e.getKey();
            if (!VALUE_NAME.matcher(key).matches()) {
                throw invalid(where + ": '" + key + "' is not a value's name (letters, digits, '_', '-'; at most 100)");
            }
            if (key.equals("rollguard")) throw invalid(where + ": 'rollguard' is the facts' name (rollguard.env, rollguard.host, …)");
            out.put(key, value(e.getValue(), where + "." + key));
        }
        return out;
    }

    private static Object value(JsonNode node, String where) {
        if (node.isObject() && node.size() == 1 && node.has("secret")) {
            JsonNode s = node.get("secret");
            if (!s.isValueNode() || s.isNull() || s.asText().isEmpty()) throw invalid(where + ": a secret is one non-empty text");
            return new Secret(s.asText());
        }
        if (node.isObject()) return values(node, where);
        if (node.isArray()) {
            List<Object> out = new ArrayList<>();
            int i = 0;
            for (JsonNode n : node) out.add(value(n, where + "[" + i++ + "]"));
            return out;
        }
        if (node.isNull()) throw invalid(where + " has no value (write '' for an empty text)");
        if (node.isBoolean()) return node.asBoolean();
        // numbers as written: 0755 or 1.10 must not come out as 493 or 1.1
        return node.asText();
    }

    private static String kind(JsonNode n) {
        return n.isArray() ? "a list" : n.isTextual() ? "the text '" + n.asText() + "'" : n.toString();
    }

    private static <T> Iterable<T> iterable(Iterator<T> it) {
        return () -> it;
    }

    // ------------------------------------------------------------------ merging and mapping

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<String, Object> over) {
        over.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m && into.get(k) instanceof Map<?, ?> old) {
                Map<String, Object> both = new LinkedHashMap<>((Map<String, Object>) old);
                merge(both, (Map<String, Object>) m);
                into.put(k, both);
            } else {
                into.put(k, v);
            }
        });
    }

    private static void collect(Object v, List<Secret> out) {
        if (v instanceof Secret s) out.add(s);
        else if (v instanceof Map<?, ?> m) m.values().forEach(x -> collect(x, out));
        else if (v instanceof List<?> l) l.forEach(x -> collect(x, out));
    }
}
