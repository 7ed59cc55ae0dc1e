package dev.rollguard.agent;

/**
 * What an agent does around a switch beyond its hooks: a preflight of the staged tree on a shadow instance (null:
 * none) and a local watchdog after the switch (null: none).
 */
public record Safeguards(Preflight.Shadow shadow, Preflight.Spec preflight, Watchdog.Settings watchdog) {
    public static final Safeguards NONE = new Safeguards(null, null, null);

    public Safeguards {
        if (shadow != null && preflight == null) preflight = Preflight.Spec.DEFAULT;
    }

    public boolean preflightOn() { return shadow != null; }

    public Safeguards withPreflight(Preflight.Shadow s, Preflight.Spec spec) { return new Safeguards(s, spec, watchdog); }

    public Safeguards withWatchdog(Watchdog.Settings w) { return new Safeguards(shadow, preflight, w); }
}
