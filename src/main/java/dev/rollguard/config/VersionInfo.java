package dev.rollguard.config;

import dev.rollguard.validate.ValidationReport;

import java.time.Instant;

/** A stored, immutable version of a service's config tree, with the report it was stored with. */
public record VersionInfo(String service, int number, Integer parent, String author, String message, Instant createdAt,
                          String treeHash, int fileCount, long totalBytes, boolean releasable, boolean highRisk,
                          boolean bad, String badReason, String breakGlass, ValidationReport report) {}
