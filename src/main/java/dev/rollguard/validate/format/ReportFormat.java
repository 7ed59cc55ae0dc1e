package dev.rollguard.validate.format;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The shapes `rollguard validate` prints a report in: for people, for scripts, and for CI systems. */
public enum ReportFormat {
    TEXT, JSON, SARIF, JUNIT, GITHUB;

    public static ReportFormat parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown format '" + name + "'; expected one of " + names());
        }
    }

    public static String names() {
        return Arrays.stream(values()).map(f -> f.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining("|"));
    }
}
