package dev.rollguard.rollout;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rollguard.protocol.AgentProtocol;

import java.time.Duration;
import java.time.Instant;

/**
 * A registered agent's host, as the server sees it. The API has always called its env {@code environment}.
 * {@code failure}: why {@code failedVersion} failed, as the agent typed it (null: nothing failed, or an older agent).
 */
public record HostInfo(String service, @JsonProperty("environment") String env, String host, String labels, Instant registeredAt, Instant lastSeen,
                       Integer appliedVersion, Integer desiredVersion, Integer failedVersion, String applyError,
                       AgentProtocol.HostFailure failure) {
    public HostInfo(String service, String env, String host, String labels, Instant registeredAt, Instant lastSeen,
                    Integer appliedVersion, Integer desiredVersion, Integer failedVersion, String applyError) {
        this(service, env, host, labels, registeredAt, lastSeen, appliedVersion, desiredVersion, failedVersion, applyError, null);
    }

    /** Whether the host was heard from within {@code timeout} of {@code now}: the one place a host is declared dead. */
    public boolean alive(Instant now, Duration timeout) {
        return alive(lastSeen, now, timeout);
    }

    /** As above, for whatever was last heard from at {@code lastSeen} (null: never). */
    public static boolean alive(Instant lastSeen, Instant now, Duration timeout) {
        return lastSeen != null && Duration.between(lastSeen, now).compareTo(timeout) <= 0;
    }
}
