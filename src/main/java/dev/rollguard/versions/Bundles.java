package dev.rollguard.versions;

import dev.rollguard.Json;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Secrets;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeWire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Serialized bundles (the whole tree of a version, as an agent applies it), kept for the versions a fleet is
 * fetching now. A version's tree never changes, so one serialization serves every host of a release; the cache is
 * bounded by total size so a few huge versions cannot take the heap.
 */
public final class Bundles {
    private final ConfigService config;
    private final long maxChars;
    private final LinkedHashMap<String, String> recent = new LinkedHashMap<>(16, 0.75f, true);
    private long chars;

    public Bundles(ConfigService config, long maxChars) {
        this.config = config;
        this.maxChars = maxChars;
    }

    /**
     * The bundle as people may read it: text files with their secrets masked ({@link Secrets}), binary files without
     * their bytes, {@code masked: true}; the hashes are the real files', so this is not a bundle an agent could apply.
     * Not cached: people read few.
     */
    public String maskedJson(String service, int version) {
        ConfigTree tree = config.tree(service, version);
        Secrets secrets = config.service(service).secrets();
        List<TreeWire.Entry> entries = new ArrayList<>();
        tree.entries().forEach((path, e) -> {
            if (e instanceof TreeEntry.File f) {
                String masked = f.binary() ? null : Base64.getEncoder().encodeToString(secrets.mask(tree.content(path))
                        .getBytes(StandardCharsets.UTF_8));
                entries.add(TreeWire.Entry.of(path, f, tree.meta(path)).withBase64(masked));
            } else {
                entries.add(TreeWire.Entry.of(path, e, tree.meta(path)));
            }
        });
        return Json.write(Map.of("service", service, "version", version, "treeHash", tree.treeHash(), "entries", entries,
                "directories", TreeWire.directories(tree), "masked", true));
    }

    /** The bundle of a version as JSON: a {@link TreeWire.Bundle}. */
    public String json(String service, int version) {
        String key = service + '\0' + version;
        synchronized (this) {
            String cached = recent.get(key);
            if (cached != null) return cached;
        }
        ConfigTree tree = config.tree(service, version);
        String body = Json.write(TreeWire.Bundle.of(service, version, tree));
        synchronized (this) {
            if (body.length() <= maxChars / 4 && recent.putIfAbsent(key, body) == null) {
                chars += body.length();
                var eldest = recent.entrySet().iterator();
                while (chars > maxChars && eldest.hasNext()) {
                    chars -= eldest.next().getValue().length();
                    eldest.remove();
                }
            }
        }
        return body;
    }
}
