package dev.rollguard.versions;

import java.time.Instant;

public record EnvironmentInfo(String service, String name, int position, Integer releasedVersion, Instant releasedAt) {}
