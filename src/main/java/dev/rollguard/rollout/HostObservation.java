package dev.rollguard.rollout;

import dev.rollguard.health.Counts;
import dev.rollguard.protocol.AgentProtocol;

import java.time.Instant;
import java.util.List;

/**
 * What the server knows of one host during a rollout: the version it reports as applied, an apply
 * failure (for which version, and why: {@code failure}, as the agent typed it; null from older agents), when it was last heard from, and its request counts on its current
 * version since the wave started: in total ({@code health}) and as the reporting windows the analysis judges; for a
 * canary host also its windows on the old version before the release ({@code before}), its own baseline, and when its
 * first report on the new version began ({@code servingSince}, null before any): a wave bakes only while its hosts serve.
 */
public record HostObservation(String host, Integer appliedVersion, Integer failedVersion, String applyError,
                              AgentProtocol.HostFailure failure, Instant lastSeen, Counts health, List<Evidence.Window> windows,
                              List<Evidence.Window> before, Instant servingSince) {
    public HostObservation {
        windows = windows == null ? List.of() : List.copyOf(windows);
        before = before == null ? List.of() : List.copyOf(before);
    }

    public HostObservation(String host, Integer appliedVersion, Integer failedVersion, String applyError, Instant lastSeen,
                           Counts health, List<Evidence.Window> windows, List<Evidence.Window> before) {
        this(host, appliedVersion, failedVersion, applyError, null, lastSeen, health, windows, before, null);
    }

    /** A host known only by its totals: one window holding them. */
    public HostObservation(String host, Integer appliedVersion, Integer failedVersion, String applyError, Instant lastSeen,
                           Counts health) {
        this(host, appliedVersion, failedVersion, applyError, lastSeen, health,
                health == null || health.requests() == 0 && health.latencySamples() == 0 ? List.of() : List.of(Evidence.Window.of(health)),
                List.of());
    }
}
