package dev.rollguard.validate;

import java.util.Map;
import java.util.Objects;
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

    /**
     * equals and hashCode written out: a record's generated ones are bound on first use (java.lang.runtime.ObjectMethods
     * spins method handles), 20-50 ms of a one-file {@code rollguard validate}, which uses this key once.
     */
    private record Key(String purpose, String path, String hash) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(purpose, k.purpose) && Objects.equals(path, k.path) && Objects.equals(hash, k.hash);
        }

        @Override
        public int hashCode() {
            return (Objects.hashCode(purpose) * 31 + Objects.hashCode(path)) * 31 + Objects.hashCode(hash);
        }
    }

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
