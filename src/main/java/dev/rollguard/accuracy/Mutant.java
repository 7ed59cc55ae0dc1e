package dev.rollguard.accuracy;

/**
 * One seeded mistake: {@code path} gets {@code content} instead of its original; a validator catches it when an
 * error names {@code path} at {@code line} ±1.
 */
record Mutant(String pkg, Kind kind, String path, int line, String content, String description) {
    enum Kind {
        EXTENSION_TYPO("extension typo"), BASENAME_TYPO("base-name typo"), APACHE_INCLUDE("Apache include typo"),
        NGINX_INCLUDE("nginx include typo"), JSON("JSON syntax"), YAML("YAML syntax"), INI("INI syntax");

        final String label;

        Kind(String label) { this.label = label; }
    }
}
