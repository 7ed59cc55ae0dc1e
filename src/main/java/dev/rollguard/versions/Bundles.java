package dev.rollguard.versions;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Secrets;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeWire;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.WireEntry;
import dev.rollguard.values.Templates;
import dev.rollguard.values.Values;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Bundles: a version's tree as one host applies it. A tree without values is the same for every host, so one bundle
 * serves a whole release; a tree with values is rendered per host, only its templates encoded anew (every other entry is
 * shared with the version's cached encoding). Renderings that open secrets are never cached: their plain text lives
 * only while the agent's request is answered. The cache is bounded by total size so a few huge versions cannot take the
 * heap.
 */
public final class Bundles {
    /** A version's tree, its templates and its entries as encoded for the wire. */
    private record Prepared(ConfigTree tree, Templates templates, Map<String, WireEntry> encoded, AgentProtocol.Bundle whole, long chars) {}

    private final ConfigService config;
    private final long maxChars;
    private final LinkedHashMap<String, Prepared> recent = new LinkedHashMap<>(16, 0.75f, true);
    private long chars;

    public Bundles(ConfigService config, long maxChars) {
        this.config = config;
        this.maxChars = maxChars;
    }

    /**
     * The bundle an agent of {@code host} in {@code env} applies: templates rendered with that host's values and facts,
     * secrets opened. {@code env} and {@code host} may be null only for a tree without values.
     */
    public AgentProtocol.Bundle forAgent(String service, int version, String env, String host) {
        return bundle(service, version, env, host, config::openSecret);
    }

    /** The same rendering for anyone but the host's enrolled agent (admins, people polling as a host): secret values as {@value Templates#MASK}. */
    public AgentProtocol.Bundle withSecretsMasked(String service, int version, String env, String host) {
        return bundle(service, version, env, host, s -> Templates.MASK);
    }

    /**
     * The bundle as people may read it: text files with their secrets masked ({@link Secrets}, and secret values as
     * {@value Templates#MASK}), binary files without their bytes, {@code masked: true}; the hashes are the real files',
     * so this is not a bundle an agent could apply. Without {@code env} and {@code host}, the tree as pushed. Not cached:
     * people read few.
     */
    public String maskedJson(String service, int version, String env, String host) {
        Prepared p = prepared(service, version);
        ConfigTree tree = env == null && host == null ? p.tree() : config.render(p.templates(), service, version, env, host, s -> Templates.MASK);
        Secrets secrets = config.service(service).secrets();
        List<WireEntry> entries = new ArrayList<>();
        tree.entries().forEach((path, e) -> {
            if (e instanceof TreeEntry.File f) {
                String masked = f.binary() ? null : Base64.getEncoder().encodeToString(secrets.maskFile(path, tree.content(path))
                        .getBytes(StandardCharsets.UTF_8));
                entries.add(TreeWire.entry(path, f, tree.meta(path)).withBase64(masked));
            } else {
                entries.add(TreeWire.entry(path, e));
            }
        });
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("service", service);
        view.put("version", version);
        if (env != null) view.put("env", env);
        if (host != null) view.put("host", host);
        view.put("treeHash", tree.treeHash());
        view.put("entries", entries);
        view.put("directories", TreeWire.directories(tree));
        view.put("masked", true);
        return Json.write(view);
    }

    private AgentProtocol.Bundle bundle(String service, int version, String env, String host, Function<Values.Secret, String> reveal) {
        Prepared p = prepared(service, version);
        if (!p.templates().renders()) return p.whole();
        if (env == null || host == null) {
            throw Problem.badRequest("rendering_needed", service + " v" + version + " has values: its bundle is rendered per host "
                    + "(ask with 'env' and 'host')");
        }
        ConfigTree rendered = config.render(p.templates(), service, version, env, host, reveal);
        List<WireEntry> entries = new ArrayList<>(rendered.size());
        rendered.entries().forEach((path, e) -> {
            WireEntry cached = p.encoded().get(path);
            entries.add(cached != null && cached.sha256().equals(e.hash()) ? cached : TreeWire.entry(path, e, rendered.meta(path)));
        });
        return new AgentProtocol.Bundle(service, version, env, host, rendered.treeHash(), entries, TreeWire.directories(rendered));
    }

    private Prepared prepared(String service, int version) {
        String key = service + '\0' + version;
        synchronized (this) {
            Prepared cached = recent.get(key);
            if (cached != null) return cached;
        }
        ConfigTree tree = config.tree(service, version);
        Templates templates = Templates.of(tree);
        Map<String, WireEntry> encoded = new LinkedHashMap<>();
        TreeWire.encode(tree).forEach(e -> encoded.put(e.path(), e));
        AgentProtocol.Bundle whole = new AgentProtocol.Bundle(service, version, null, null, tree.treeHash(), List.copyOf(encoded.values()),
                TreeWire.directories(tree));
        Prepared p = new Prepared(tree, templates, encoded, whole, whole.chars());
        synchronized (this) {
            if (p.chars() <= maxChars / 4 && recent.putIfAbsent(key, p) == null) {
                chars += p.chars();
                var eldest = recent.entrySet().iterator();
                while (chars > maxChars && eldest.hasNext()) {
                    chars -= eldest.next().getValue().chars();
                    eldest.remove();
                }
            }
        }
        return p;
    }
}
