package dev.rollguard.agent;

import dev.rollguard.protocol.AgentProtocol.PreflightSpec;

import java.util.List;

/**
 * What an agent does around a switch beyond its hooks: a preflight of the staged tree on a shadow instance (null:
 * none) and a local watchdog after the switch (null: none). {@code preflight} is this host's own probe list, which
 * overrides the service's (null: the service spec's probes, else {@link PreflightSpec#DEFAULT}). {@code replay} is
 * the sample of this host's recent requests that preflight replays (null: no access log, nothing to replay).
 */
public record Safeguards(Preflight.Shadow shadow, PreflightSpec preflight, Watchdog.Settings watchdog, ReplaySet replay) {
    public static final Safeguards NONE = new Safeguards(null, null, null, null);

    public Safeguards(Preflight.Shadow shadow, PreflightSpec preflight, Watchdog.Settings watchdog) {
        this(shadow, preflight, watchdog, null);
    }

    /** The requests to replay now, at most as many as the settings allow (empty: no replay set). */
    public List<ReplaySet.Request> replayRequests(PreflightSpec probes) {
        return replay == null ? List.of() : replay.snapshot(probes.replaySettings().requests());
    }

    public boolean preflightOn() { return shadow != null; }

    /** The probes a preflight requests: this host's own, else the service's, else GET / expecting 200. */
    public PreflightSpec probes(PreflightSpec fromService) {
        if (preflight != null) return preflight;
        return fromService != null ? fromService : PreflightSpec.DEFAULT;
    }

    public Safeguards withPreflight(Preflight.Shadow s, PreflightSpec spec) { return new Safeguards(s, spec, watchdog, replay); }

    public Safeguards withWatchdog(Watchdog.Settings w) { return new Safeguards(shadow, preflight, w, replay); }

    public Safeguards withReplay(ReplaySet r) { return new Safeguards(shadow, preflight, watchdog, r); }
}
