package dev.rollguard.versions;

import java.time.Instant;

public record ReleaseRecord(String id, String service, String env, int version, Integer previousVersion,
                            String actor, String breakGlass, Instant createdAt) {}
