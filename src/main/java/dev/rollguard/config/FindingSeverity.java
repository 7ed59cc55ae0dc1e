package dev.rollguard.config;

public enum FindingSeverity {
    /** Blocks release: the version is not releasable without break-glass. */
    ERROR,
    /** Shown and counted as a finding, does not block release. */
    WARNING
}
