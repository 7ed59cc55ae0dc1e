package dev.rollguard.validate;

public enum Severity {
    /** Blocks release: the version is not releasable without break-glass. */
    ERROR,
    /** Shown and counted as a finding, does not block release. */
    WARNING
}
