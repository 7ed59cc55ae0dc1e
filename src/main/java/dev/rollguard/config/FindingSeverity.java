package dev.rollguard.config;

/**
 * How much a validator's finding weighs. Not an incident's {@link Severity}: a finding blocks a release or it does not.
 * A spec's command validator sets it; findings carry it as {@code severity} (ERROR, WARNING) in reports and the API.
 */
public enum FindingSeverity {
    /** Blocks release: the version is not releasable without break-glass. */
    ERROR,
    /** Shown and counted as a finding, does not block release. */
    WARNING
}
