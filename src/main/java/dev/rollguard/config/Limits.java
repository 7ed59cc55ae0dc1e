package dev.rollguard.config;

/** Bounds on what one version may hold; checked before anything is stored. */
public record Limits(long maxFileBytes, int maxFiles, long maxTreeBytes) {
    public static final Limits DEFAULT = new Limits(1024 * 1024, 20_000, 64L * 1024 * 1024);

    public Limits {
        if (maxFileBytes <= 0 || maxFiles <= 0 || maxTreeBytes <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
