package dev.rollguard.auth;

/** What a route needs. Every route declares one; a route without one cannot be registered. */
public enum Permission {
    /** Health and metrics: no credentials (they reveal no config). */
    PUBLIC,
    /** Read config, versions, diffs, rollouts, hosts, incidents. */
    READ,
    /** Push versions, validate, fix. */
    PUSH,
    /** Start, steer and roll back rollouts; manage incidents. */
    RELEASE,
    /** Approve a high-risk version for production. */
    APPROVE,
    /** Service specs, users, roles, tokens, enrolments, the audit log. */
    ADMIN,
    /** The agent protocol: register, long-poll, report. */
    AGENT,
    /** Any signed-in principal (their own tokens, who am I). */
    AUTHENTICATED
}
