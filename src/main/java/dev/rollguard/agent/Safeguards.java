package dev.rollguard.agent;

import dev.rollguard.protocol.AgentProtocol.PreflightSpec;

/**
 * What an agent does around a switch beyond its hooks: a preflight of the staged tree on a shadow instance (null:
 * none) and a local watchdog after the switch (null: none). {@code preflight} is this host's own probe list, which
 * overrides the service's (null: the service spec's probes, else {@link PreflightSpec#DEFAULT}).
 */
public record Safeguards(Preflight.Shadow shadow, PreflightSpec preflight, Watchdog.Settings watchdog) {
    public static final Safeguards NONE = new Safeguards(null, null, null);

    public boolean preflightOn() { return shadow != null; }

    /** The probes a preflight requests: this host's own, else the service's, else GET / expecting 200. */
    public PreflightSpec probes(PreflightSpec fromService) {
        if (preflight != null) return preflight;
        return fromService != null ? fromService : PreflightSpec.DEFAULT;
    }

    public Safeguards withPreflight(Preflight.Shadow s, PreflightSpec spec) { return new Safeguards(s, spec, watchdog); }

    public Safeguards withWatchdog(Watchdog.Settings w) { return new Safeguards(shadow, preflight, w); }
}
