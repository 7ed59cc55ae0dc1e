package dev.rollguard.rollout;

import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a rollout's hosts tell: per host, the reports the orchestrator judges ({@link #of}), and the per-second series
 * the dashboard charts ({@link #series}). Reads only; {@link Orchestrator} decides with them.
 */
public final class Observations {
    /** How far back a canary host's own answers on the old version count as its personal baseline. */
    private static final Duration CANARY_HISTORY = Duration.ofSeconds(120);
    /**
     * How far back the baseline hosts' answers reach: the same seconds as the canary's history, so that the fleet's drift
     * (its rate now against then) scales that history from the period it was measured in. With 60 s here the two
     * periods' centres were 30 s apart, and on a daily cycle's slope that bias failed healthy canaries: two canaries,
     * whose count doubles it against noise that grows by the square root, went over the false-rollback budget.
     */
    private static final Duration BASELINE_LOOKBACK = CANARY_HISTORY;

    private final RolloutStore store;
    private final HealthStore health;
    private final Clock clock;

    public Observations(RolloutStore store, HealthStore health, Clock clock) {
        this.store = store;
        this.health = health;
        this.clock = clock;
    }

    /**
     * Per-second 5xx rate and p99 latency of the rollout's canary hosts (those on the new version now) and of the
     * baseline, from 30 s before the rollout to now: the dashboard's charts. Nulls where a group served nothing.
     */
    Map<String, List<Object>> series(Rollout r) {
        Instant from = r.createdAt().minusSeconds(30);
        Instant to = r.state().terminal() ? r.updatedAt().plusSeconds(30) : clock.instant();
        return RolloutSeries.of(r, host -> health.samples(r.service(), r.env(), host, from), to);
    }

    /** Each registered host of the rollout: its state and the windows of the version it is judged on. */
    List<HostObservation> of(Rollout r) {

        Map<String, HostInfo> hosts = new HashMap<>();
        for (HostInfo h : store.hosts(r.service(), r.env())) hosts.put(h.host(), h);
        Set<String> canary = Set.copyOf(r.canaryHosts());
        List<HostObservation> out = new ArrayList<>();
        for (String name : r.hosts()) {
            HostInfo h = hosts.get(name);
            if (h == null) continue;
            boolean isCanary = canary.contains(name);
            // a first release has no baseline: hosts without a config say nothing about the old version
            Integer version = isCanary ? Integer.valueOf(r.toVersion()) : r.fromVersion();
            Instant since = isCanary ? r.createdAt() : r.createdAt().minus(BASELINE_LOOKBACK);
            Counts counts = version == null ? Counts.EMPTY : health.sum(r.service(), r.env(), name, version, since);
            List<HealthStore.Sample> samples = version == null ? List.of() : health.samples(r.service(), r.env(), name, version, since);
            List<Evidence.Window> windows = Evidence.windows(samples);
            Instant servingSince = !isCanary ? null : samples.stream().map(HealthStore.Sample::start).min(Comparator.naturalOrder()).orElse(null);
            // a canary host's own answers on the old version, before it switched: the baseline that matches it best
            List<Evidence.Window> before = !isCanary || r.fromVersion() == null ? List.of()
                    : Evidence.windows(health.samples(r.service(), r.env(), name, r.fromVersion(), r.createdAt().minus(CANARY_HISTORY)));
            out.add(new HostObservation(name, h.appliedVersion(), h.failedVersion(), h.applyError(), h.failure(), h.lastSeen(), counts, windows, before,
                    servingSince));
        }
        return out;
    }
}
