package dev.rollguard.validate;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What the built-in rules derive from one file (code without comments, tokens, include statements, parse errors),
 * kept by path and content hash across the validations of one {@link Validation}: a push changes a few files of
 * thousands, and the next validation of the tree then reads only those again. Bounded: past {@link #MAX_ENTRIES}
 * it starts over.
 */
final class FileCache {
    private static final int MAX_ENTRIES = 400_000;

    private final Map<Key, Object> entries = new ConcurrentHashMap<>();

    private record Key(String purpose, String path, String hash) {}

    @SuppressWarnings("unchecked")
    <T> T get(String purpose, String path, String hash, Supplier<T> compute) {
        if (hash == null) return compute.get();
        Key key = new Key(purpose, path, hash);
        Object v = entries.get(key);
        if (v != null) return (T) v;
        T computed = compute.get();
        if (entries.size() >= MAX_ENTRIES) entries.clear();
        entries.put(key, computed);
        return computed;
    }
}
