package dev.rollguard.versions;

import java.time.Instant;

public record EnvInfo(String service, String name, int position, Integer releasedVersion, Instant releasedAt) {}
