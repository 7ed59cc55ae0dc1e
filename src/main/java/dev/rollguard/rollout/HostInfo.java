package dev.rollguard.rollout;

import dev.rollguard.protocol.AgentProtocol;

import java.time.Instant;

/** A registered agent's host, as the server sees it; {@code failure}: why {@code failedVersion} failed, as the agent said. */
public record HostInfo(String service, String environment, String host, String labels, Instant registeredAt, Instant lastSeen,
                       Integer appliedVersion, Integer desiredVersion, Integer failedVersion, String applyError,
                       AgentProtocol.HostFailure failure) {
    public HostInfo(String service, String environment, String host, String labels, Instant registeredAt, Instant lastSeen,
                    Integer appliedVersion, Integer desiredVersion, Integer failedVersion, String applyError) {
        this(service, environment, host, labels, registeredAt, lastSeen, appliedVersion, desiredVersion, failedVersion, applyError, null);
    }
}
