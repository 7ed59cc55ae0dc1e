package dev.rollguard.versions;

import dev.rollguard.validate.ValidationReport;

import java.time.Instant;

/**
 * A stored, immutable version of a service's config tree, with the report it was stored with and, when it was pushed
 * from Git, the commit it came from ({@code git}, else null).
 */
public record VersionInfo(String service, int number, Integer parent, String author, String message, Instant createdAt,
                          String treeHash, int fileCount, long totalBytes, boolean releasable, boolean highRisk,
                          boolean bad, String badReason, String breakGlass, ValidationReport report, GitCommit git) {}
