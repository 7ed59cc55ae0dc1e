package dev.rollguard.config;

/**
 * Bounds on what one version may hold; checked before anything is stored. The defaults take real trees whole: Debian's
 * WordPress (2,521 files, 50 MB, a 2.2 MB block-editor.js) and MediaWiki (about 23,000 files, 218 MB) fit, with room.
 */
public record Limits(long maxFileBytes, int maxFiles, long maxTreeBytes) {
    public static final Limits DEFAULT = new Limits(16L * 1024 * 1024, 50_000, 256L * 1024 * 1024);

    public Limits {
        if (maxFileBytes <= 0 || maxFiles <= 0 || maxTreeBytes <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
