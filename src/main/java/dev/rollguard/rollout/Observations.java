package dev.rollguard.rollout;

import dev.rollguard.health.ChangedHosts;
import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
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
        List<String> fleet = r.hosts();
        // the wave is the fleet's first hosts
        int canary = r.canaryHosts().size();
        List<HostObservation> out = new ArrayList<>(fleet.size());
        for (int i = 0; i < fleet.size(); i++) {
            String name = fleet.get(i);
            HostInfo h = hosts.get(name);
            if (h != null) out.add(observe(r, name, h, i < canary));
        }
        return out;
    }

    /**
     * One registered host of the rollout, judged on the new version if it is in the wave, else on the old one; named by
     * {@code name}, the fleet's own string for it (the machine looks every host of the wave up each tick: a key that is the
     * same string compares at once).
     */
    private HostObservation observe(Rollout r, String name, HostInfo h, boolean isCanary) {
        // a first release has no baseline: hosts without a config say nothing about the old version
        Integer version = isCanary ? Integer.valueOf(r.toVersion()) : r.fromVersion();
        Instant since = isCanary ? r.createdAt() : r.createdAt().minus(BASELINE_LOOKBACK);
        List<HealthStore.Sample> samples = version == null ? List.of() : health.samples(r.service(), r.env(), name, version, since);
        // the totals of the same samples (a host without any, as a fleet of the push benchmark's pollers: nothing to sum)
        Counts counts = samples.isEmpty() ? Counts.EMPTY : Counts.of(samples, Counts.all());
        List<Evidence.Window> windows = samples.isEmpty() ? List.of() : Evidence.windows(samples);
        Instant servingSince = !isCanary || samples.isEmpty() ? null
                : samples.stream().map(HealthStore.Sample::start).min(Comparator.naturalOrder()).orElse(null);
        // a canary host's own answers on the old version, before it switched: the baseline that matches it best
        List<HealthStore.Sample> old = !isCanary || r.fromVersion() == null ? List.of()
                : health.samples(r.service(), r.env(), name, r.fromVersion(), r.createdAt().minus(CANARY_HISTORY));
        List<Evidence.Window> before = old.isEmpty() ? List.of() : Evidence.windows(old);
        return new HostObservation(name, h.appliedVersion(), h.failedVersion(), h.applyError(), h.failure(), h.lastSeen(), counts, windows, before,
                servingSince);
    }

    /**
     * The orchestrator's view of the rollouts it steps, kept between its ticks: a tick looks again only at the hosts whose
     * row or samples changed since the last ({@link RolloutStore#takeChanged}, {@link HealthStore#takeChanged}), so that
     * its cost follows the reports that came in, not the fleet (a release's ticks read all 10,000 hosts each before). The
     * whole view is read again for a new rollout or wave, at least every {@link #FULL_EVERY}, and on every tick unless
     * this server is the hosts' only writer (replicas sharing PostgreSQL: another replica's reports leave no mark here).
     * One reader: the orchestrator's thread.
     */
    Tracked tracked(boolean onlyWriter) {
        return new Tracked(onlyWriter);
    }

    final class Tracked {
        static final Duration FULL_EVERY = Duration.ofSeconds(30);
        private final boolean onlyWriter;
        private final Map<String, View> views = new HashMap<>();
        /** The environments whose changes the stores mark for this view: those of its running rollouts. */
        private final Set<ChangedHosts.Env> watching = new HashSet<>();

        private Tracked(boolean onlyWriter) {
            this.onlyWriter = onlyWriter;
        }

        /**
         * Whether a tick reads the rollout's hosts whole: unless this server is their only writer (another's writes leave
         * no mark here), for a rollout not yet viewed ({@code keptWave} null) or in a new wave, and {@link #FULL_EVERY}.
         */
        static boolean readWhole(boolean onlyWriter, Integer keptWave, Instant readAt, int wave, Instant now) {
            return !onlyWriter || keptWave == null || keptWave != wave || !now.isBefore(readAt.plus(FULL_EVERY));
        }

        /** Of the hosts a tick looks at again: those whose rows it reads again, and the rows it knows without reading. */
        record Changes(List<String> reread, Map<String, HostInfo> known) {}

        /**
         * What a tick looks at again of a kept view, from the marks it took, for the rollout's hosts ({@code fleet}) only:
         * a registered host's row is read again (a registration sets columns no mark holds); a reported host's row is as
         * its report left it; a host with new samples only is as it was observed ({@code observed}).
         */
        static Changes changes(String service, String env, Set<String> fleet, Map<String, HostObservation> observed,
                               RolloutStore.HostChanges marks, Set<String> samples) {
            List<String> reread = marks.reread().stream().filter(fleet::contains).toList();
            Set<String> rereadSet = new HashSet<>(reread);
            Map<String, HostInfo> known = new HashMap<>();
            for (HostInfo h : marks.reports()) if (fleet.contains(h.host()) && !rereadSet.contains(h.host())) known.put(h.host(), h);
            for (String h : samples) {
                HostObservation o = observed.get(h);
                if (o != null && !rereadSet.contains(h) && !known.containsKey(h)) {
                    known.put(h, new HostInfo(service, env, h, null, null, o.lastSeen(), o.appliedVersion(), null,
                            o.failedVersion(), o.applyError(), o.failure()));
                }
            }
            return new Changes(reread, known);
        }

        /**
         * One rollout's wave as last observed: by host, as {@link RolloutMachine#step} takes them; {@code at}, each host's
         * place in the fleet (kept for the rollout's life: its fleet never changes), of which the first {@code canary} are
         * the wave's.
         */
        private record View(int wave, Map<String, Integer> at, int canary, Map<String, HostObservation> byHost, Instant readAt) {
            boolean inWave(String host) {
                Integer i = at.get(host);
                return i != null && i < canary;
            }
        }

        /**
         * Each registered host of the rollout, by name: what {@link Observations#of} answers, read again only where it changed.
         * When a read fails the rollout's view is dropped, as the marks it took with it: the next tick reads whole.
         */
        Map<String, HostObservation> of(Rollout r) {
            try {
                return read(r);
            } catch (RuntimeException e) {
                views.remove(r.id());
                throw e;
            }
        }

        private Map<String, HostObservation> read(Rollout r) {
            Instant now = clock.instant();
            // marked from now on, before the whole read below: no change falls between the read and the marks
            if (onlyWriter && watching.add(new ChangedHosts.Env(r.service(), r.env()))) watch();
            View v = views.get(r.id());
            RolloutStore.HostChanges rows = store.takeChanged(r.service(), r.env());
            Set<String> samples = health.takeChanged(r.service(), r.env());
            if (readWhole(onlyWriter, v == null ? null : v.wave(), v == null ? null : v.readAt(), r.wave(), now)) {
                // the marks were taken before this read: whatever changes from now on is marked for the next tick
                List<HostObservation> all = Observations.this.of(r);
                Map<String, HostObservation> byHost = new HashMap<>(all.size() * 4 / 3 + 1);
                for (HostObservation o : all) byHost.put(o.host(), o);
                // a hash map, not an immutable set: in a profile, the immutable sets' linear probing was a third of this
                // method (10,000 similar names)
                v = new View(r.wave(), v != null ? v.at() : positions(r.hosts()), r.canaryHosts().size(), byHost, now);
                views.put(r.id(), v);
                return v.byHost();
            }
            Changes c = changes(r.service(), r.env(), v.at().keySet(), v.byHost(), rows, samples);
            Map<String, HostInfo> changed = c.known();
            if (!c.reread().isEmpty()) {
                changed = new HashMap<>(changed);
                for (HostInfo h : store.hosts(r.service(), r.env(), c.reread())) changed.put(h.host(), h);
            }
            // a host already viewed keeps its key, the fleet's string
            for (HostInfo h : changed.values()) v.byHost().put(h.host(), observe(r, h.host(), h, v.inWave(h.host())));
            return v.byHost();
        }

        /** Each host's place in the fleet. */
        private static Map<String, Integer> positions(List<String> fleet) {
            Map<String, Integer> at = new HashMap<>(fleet.size() * 4 / 3 + 1);
            for (int i = 0; i < fleet.size(); i++) at.put(fleet.get(i), i);
            return at;
        }

        private void watch() {
            store.watch(watching);
            health.watch(watching);
        }

        /**
         * Forgets the rollouts that no longer run, and the marks of environments without one (none are kept unless this
         * server is the only writer): marks nobody takes are dead weight, up to a report per host.
         */
        void retain(Collection<Rollout> running) {
            views.keySet().retainAll(running.stream().map(Rollout::id).toList());
            watching.clear();
            if (onlyWriter) for (Rollout r : running) watching.add(new ChangedHosts.Env(r.service(), r.env()));
            watch();
        }
    }
}
