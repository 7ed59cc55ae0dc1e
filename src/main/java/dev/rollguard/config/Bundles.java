package dev.rollguard.config;

import dev.rollguard.Json;

import java.util.LinkedHashMap;

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
