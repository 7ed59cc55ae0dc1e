package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.EnvInfo;
import dev.rollguard.versions.ReleaseRecord;
import dev.rollguard.versions.VersionInfo;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Rollouts and the agents they drive: enforces the promotion policy, runs the orchestrator loop (the
 * pure {@link RolloutMachine} fed with the database's and the agents' view, every tick), executes the
 * actions in one transaction per change, and wakes the long-polls of hosts whose desired version changed.
 * Rollouts and hosts are in the database, so a restarted server picks every rollout up where it was; only the last
 * analysis verdict per rollout (to log each change once) and the waiting long-polls live in memory.
 */
public final class RolloutService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RolloutService.class);
    private static final Duration MAX_TICK_PAUSE = Duration.ofSeconds(2);

    private final ConfigService config;
    private final RolloutStore store;
    private final HealthStore health;
    private final HostSignals signals;
    private final Clock clock;
    private final HostReports reports;
    private final Observations observations;
    private final List<Consumer<PostedEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Analysis.Verdict> lastVerdict = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService loop;
    private volatile ApprovalGate approvals;
    /** Whether this server runs the orchestrator now (of several servers, the lease holder); always, alone. */
    private volatile BooleanSupplier duty = () -> true;
    /** Tells other servers of desired-version changes (service, env, host → version). */
    private volatile TriConsumer announce = (s, e, h) -> {};

    @FunctionalInterface
    public interface TriConsumer {
        void accept(String service, String env, Map<String, Integer> hosts);
    }

    public void runOnlyWhen(BooleanSupplier duty) {
        this.duty = duty;
    }

    public void announceWith(TriConsumer announce) {
        this.announce = announce;
    }

    /** Another server changed desired versions: wake this server's long-polls (all hosts of the env if not named). */
    public void changedElsewhere(String service, String env, Map<String, Integer> hosts) {
        if (hosts == null) {
            hosts = new HashMap<>();
            for (HostInfo h : store.hosts(service, env)) hosts.put(h.host(), h.desiredVersion());
        }
        signals.wake(service, env, hosts);
    }

    public RolloutService(ConfigService config, RolloutStore store, HealthStore health, HostSignals signals, Clock clock) {
        this.config = config;
        this.store = store;
        this.health = health;
        this.signals = signals;
        this.clock = clock;
        this.reports = new HostReports(store);
        this.observations = new Observations(store, health, clock);
    }

    public HealthStore health() { return health; }
    public HostSignals signals() { return signals; }

    /**
     * High-risk versions need a second person: the last environment (production) refuses one until someone other
     * than its author approved it. Break-glass does not lift this.
     */
    public void requireApprovals(BiFunction<String, Integer, List<String>> approversOf) {
        requireApprovals(approversOf, service -> List.of());
    }

    /** As above; {@code approvedVersions}: the versions of a service someone approved, newest first. */
    public void requireApprovals(BiFunction<String, Integer, List<String>> approversOf, Function<String, List<Integer>> approvedVersions) {
        this.approvals = new ApprovalGate(config, approversOf, approvedVersions);
    }

    private volatile HealthGaps gaps = HealthGaps.NONE;

    /** A health source beside the agents (Prometheus) that can go silent: the orchestrator asks it before each step. */
    public void watchGaps(HealthGaps gaps) {
        this.gaps = gaps;
    }

    public void onEvent(Consumer<PostedEvent> listener) {
        listeners.add(listener);
    }

    /** Starts the orchestrator: one step over every running rollout each {@code tick}. */
    public synchronized void startLoop(Duration tick) {
        if (loop != null) return;
        loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rollout-orchestrator");
            t.setDaemon(true);
            return t;
        });
        loop.execute(() -> orchestrate(tick));
    }

    /**
     * One tick, then the next after {@code tick}, or after three times as long as this one took: a rollout over
     * thousands of hosts reads them all each tick, and must not take the cores the hosts' own requests need.
     */
    private void orchestrate(Duration tick) {
        long started = System.nanoTime();
        try {
            if (duty.getAsBoolean()) {
                tick();
            } else {
                // another server orchestrates: when this one takes over, it watches from then on
                watchedSince.clear();
            }
        } catch (RuntimeException e) {
            log.warn("orchestrator tick failed: {}", e.toString());
        }
        long took = System.nanoTime() - started;
        long next = Math.min(Math.max(tick.toNanos(), 3 * took), Math.max(tick.toNanos(), MAX_TICK_PAUSE.toNanos()));
        ScheduledExecutorService l = loop;
        if (l == null) return;
        try {
            l.schedule(() -> orchestrate(tick), next, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            // the service is closing
        }
    }

    @Override
    public synchronized void close() {
        reports.close();
        if (loop != null) {
            loop.shutdownNow();
            try {
                loop.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            loop = null;
        }
    }

    // ------------------------------------------------------------------ agents

    /** The enrolment token a host registers with, and how many hosts that token may register. */
    public record Enrolment(String tokenId, int maxHosts) {}

    public HostInfo register(String service, String env, String host, String labels) {
        return register(service, env, host, labels, null);
    }

    /** Registers a host; with an {@code enrolment}, only while its token has registered fewer than its limit of hosts. */
    public HostInfo register(String service, String env, String host, String labels, Enrolment enrolment) {
        ServiceSpec spec = config.service(service);
        if (!spec.environments().contains(env)) throw Problem.notFound("unknown_environment", service + " has no environment '" + env + "'");
        checkHostName(host);
        Integer released = released(service, env);
        return store.register(service, env, host, labels, released, clock.instant(), enrolment);
    }

    /** The version the host should run (null: none yet); read on every long-poll, so it reads one column. */
    public Integer desiredVersion(String service, String env, String host) {
        return store.desired(service, env, host).orElseThrow(() -> unknownHost(service, env, host)).version();
    }

    private static Problem unknownHost(String service, String env, String host) {
        return Problem.notFound("unknown_host", "host '" + host + "' is not registered for " + service + "/" + env + "; register it first");
    }

    /**
     * Records what a host runs and its health; answers the version it should run. Reports are written in groups
     * ({@link HostReports}), so the answer completes when the group is committed.
     */
    public CompletableFuture<Integer> report(String service, String env, String host, Integer applied, Integer failed, String error,
                                             List<HealthStore.Sample> samples) {
        Instant now = clock.instant();
        var report = new HostReports.Report(service, env, host, applied, failed, error == null ? null : truncate(error, 2000), now);
        return reports.submit(report).thenApply(desired -> {
            Integer version = desired.orElseThrow(() -> unknownHost(service, env, host)).version();
            health.report(service, env, host, samples, now);
            return version;
        });
    }

    private static void checkHostName(String host) {
        if (host == null || !host.matches("^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")) {
            throw Problem.badRequest("invalid_host", "invalid host id '" + host + "': use letters, digits, '.', '_', ':', '-'");
        }
    }

    private Integer released(String service, String env) {
        return config.environments(service).stream().filter(e -> e.name().equals(env)).findFirst()
                .map(EnvInfo::releasedVersion).orElse(null);
    }

    // ------------------------------------------------------------------ starting and steering rollouts

    /**
     * Releases a version to an environment through a staged rollout. The promotion policy is enforced here:
     * a version must have completed in the previous environment and stayed there for its bake time, unless
     * a break-glass reason is given (recorded on the rollout and in the timeline).
     */
    public Rollout start(String service, String env, int version, String actor, String breakGlass) {
        ServiceSpec spec = config.service(service);
        VersionInfo v = config.version(service, version);
        int position = spec.environments().indexOf(env);
        if (position < 0) throw Problem.notFound("unknown_environment", service + " has no environment '" + env + "'");
        if (breakGlass != null && breakGlass.isBlank()) throw Problem.badRequest("break_glass_reason_required", "break-glass needs a reason");
        if (v.bad()) throw Problem.conflict("version_bad", service + " v" + version + " is marked bad (" + v.badReason() + "); push a new version");
        Instant now = clock.instant();
        if (position == spec.environments().size() - 1 && approvals != null) {
            approvals.approvalNeeded(spec, released(service, env), v).ifPresent(why -> {
                throw Problem.conflict("approval_required", service + " v" + version + " is high-risk (" + why
                        + "): someone other than its author (" + v.author() + ") must approve it before " + env + " takes it");
            });
        }
        if (position > 0 && breakGlass == null) {
            String previous = spec.environments().get(position - 1);
            List<ReleaseRecord> there = config.releases(service, previous, version);
            if (there.isEmpty()) {
                throw Problem.conflict("promotion_order", service + " v" + version + " was never released to '" + previous
                        + "'; release it there first (or break glass with a reason)");
            }
            Instant since = there.get(there.size() - 1).createdAt();
            long baked = Duration.between(since, now).toSeconds();
            int needed = spec.rollout().promotionBakeSeconds();
            if (baked < needed) {
                throw Problem.conflict("promotion_bake", service + " v" + version + " has been in '" + previous + "' for " + baked
                        + " s; '" + env + "' accepts it after " + needed + " s of bake");
            }
            if (!released(service, previous).equals(version)) {
                throw Problem.conflict("promotion_order", service + " v" + version + " is no longer what runs in '" + previous + "'");
            }
        }
        Integer from = released(service, env);
        if (from != null && from == version) throw Problem.conflict("already_released", service + " v" + version + " already runs in " + env);
        Duration heartbeat = Duration.ofSeconds(spec.rollout().heartbeatTimeoutSeconds());
        List<String> fleet = store.hosts(service, env).stream()
                .filter(h -> h.lastSeen() != null && Duration.between(h.lastSeen(), now).compareTo(heartbeat) <= 0)
                .map(HostInfo::host).toList();
        Rollout r = new Rollout(UUID.randomUUID().toString(), service, env, from, version, fleet, spec.rollout(),
                Rollout.State.RUNNING, 0, now, now, now, actor, breakGlass, null);
        List<PostedEvent> events = new ArrayList<>();
        Map<String, Integer> woken = new HashMap<>();
        store.useTransaction(h -> {
            if (store.activeFor(h, service, env).isPresent()) {
                throw Problem.conflict("rollout_in_progress", "a rollout to " + service + "/" + env
                        + " is already running; pause, abort or wait for it");
            }
            store.insert(h, r);
            events.add(store.event(h, service, env, r.id(), new RolloutEvent.Started(actor, env, from, version, fleet.size(), r.targets(),
                    breakGlass), now));
            RolloutMachine.Step first = fleet.isEmpty()
                    ? new RolloutMachine.Step(r.with(Rollout.State.COMPLETE, 0, now, now, "no hosts"),
                    List.of(new Action.Released(version), new Action.Emit(new RolloutEvent.Completed(version, env, 0))), null)
                    : RolloutMachine.start(r);
            if (first.rollout() != r) store.update(h, first.rollout(), r.updatedAt());
            execute(h, first.rollout(), first.actions(), now, events, woken);
        });
        publish(events, service, env, woken);
        return store.rollout(r.id()).orElseThrow();
    }

    /** The rollout, if there is one by that id (an incident may outlive its rollout's row). */
    public Optional<Rollout> find(String id) {
        return store.rollout(id);
    }

    /** The hosts registered for an environment, as the last reports left them. */
    public List<HostInfo> hosts(String service, String env) {
        return store.hosts(service, env);
    }

    /** Newest first: a rollout's events, or (null id) the service's. */
    public List<EventRecord> events(String service, String rolloutId, int limit) {
        return store.events(service, rolloutId, limit);
    }

    /** Newest first. */
    public List<Rollout> rollouts(String service, String env, int limit) {
        return store.rollouts(service, env, limit);
    }

    /** Rollouts that are running or paused, of every service. */
    public List<Rollout> active() {
        return store.active();
    }

    /** An environment's traffic since {@code since} (samples that ended then or later), whatever its hosts serve. */
    public Counts traffic(String service, String env, Instant since) {
        return Counts.of(health.samplesByHost(service, env, since), Counts.endedSince(since));
    }

    /** One host's traffic since {@code since}, whatever it serves. */
    public Counts traffic(String service, String env, String host, Instant since) {
        return health.sum(service, env, host, null, since);
    }

    public Rollout rollout(String id) {
        return store.rollout(id).orElseThrow(() -> Problem.notFound("unknown_rollout", "no rollout " + id));
    }

    public Rollout pause(String id, String actor) {
        return manual(id, r -> RolloutMachine.pause(r, clock.instant(), actor));
    }

    public Rollout resume(String id, String actor) {
        return manual(id, r -> RolloutMachine.resume(r, clock.instant(), actor));
    }

    public Rollout abort(String id, String actor) {
        return manual(id, r -> RolloutMachine.abort(r, clock.instant(), actor));
    }

    public Rollout rollback(String id, String actor, String reason) {
        return manual(id, r -> {
            RolloutMachine.Step s = RolloutMachine.rollback(r, clock.instant(), actor, reason);
            if (r.state() != Rollout.State.COMPLETE) return s;
            // the version is already the environment's: every host of the environment goes back, and the old version is
            // the released one again
            if (r.fromVersion() == null) throw Problem.conflict("nothing_to_roll_back_to", r.service() + "/" + r.env()
                    + " ran nothing before v" + r.toVersion());
            List<Action> actions = new ArrayList<>(s.actions());
            actions.add(0, new Action.Assign(store.hosts(r.service(), r.env()).stream().map(HostInfo::host).toList(), r.fromVersion()));
            actions.add(new Action.Released(r.fromVersion()));
            return new RolloutMachine.Step(s.rollout(), actions, null);
        });
    }

    /** The one-command rollback: the running rollout of an environment, or else its last completed one. */
    public Rollout rollbackEnv(String service, String env, String actor, String reason) {
        config.service(service);
        List<Rollout> recent = store.rollouts(service, env, 20);
        for (Rollout r : recent) {
            if (r.state() == Rollout.State.RUNNING || r.state() == Rollout.State.PAUSED || r.state() == Rollout.State.COMPLETE) {
                return rollback(r.id(), actor, reason);
            }
        }
        throw Problem.conflict("nothing_to_roll_back", "no rollout of " + service + " to " + env + " can be rolled back");
    }

    private Rollout manual(String id, Function<Rollout, RolloutMachine.Step> how) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Rollout r = rollout(id);
            RolloutMachine.Step s;
            try {
                s = how.apply(r);
            } catch (IllegalStateException e) {
                throw Problem.conflict("invalid_state", e.getMessage());
            }
            if (apply(r, s)) return rollout(id);
        }
        throw Problem.conflict("concurrent_change", "the rollout kept changing; try again");
    }

    // ------------------------------------------------------------------ orchestrator

    /** Since when this orchestrator has watched each running rollout without a gap: only watched time is bake time. */
    private final Map<String, Instant> watchedSince = new ConcurrentHashMap<>();
    private volatile Instant lastTick;
    private volatile Duration lastTickTook = Duration.ZERO;
    /**
     * A gap between passes longer than this, or than three passes take (a large fleet makes them slow), means a stalled
     * or suspended server: the watch starts over.
     */
    private static final Duration WATCH_GAP = Duration.ofSeconds(5);

    /** One orchestrator pass over the running rollouts. */
    public void tick() {
        Instant started = clock.instant();
        Duration gap = lastTickTook.multipliedBy(3).compareTo(WATCH_GAP) > 0 ? lastTickTook.multipliedBy(3) : WATCH_GAP;
        if (lastTick != null && Duration.between(lastTick, started).compareTo(gap) > 0) watchedSince.clear();
        lastTick = started;
        try {
            tickRollouts();
        } finally {
            lastTickTook = Duration.between(started, clock.instant());
        }
    }

    private void tickRollouts() {
        List<Rollout> active = store.active();
        watchedSince.keySet().retainAll(active.stream().map(Rollout::id).toList());
        for (Rollout r : active) {
            if (r.state() != Rollout.State.RUNNING) {
                watchedSince.remove(r.id());
                continue;
            }
            Instant now = clock.instant();
            Optional<String> silent = gaps.noData(r.service(), r.env(), r.hosts(), r.waveStartedAt());
            if (silent.isPresent()) {
                apply(r, RolloutMachine.noData(r, now, silent.get()));
                continue;
            }
            Instant since = watchedSince.computeIfAbsent(r.id(), id -> now);
            RolloutMachine.Step s = RolloutMachine.step(r, observe(r), now, since);
            if (s.decision() != null) recordDecision(r, s.decision(), now);
            if (s.changed(r)) apply(r, s);
        }
    }

    /** The dashboard's charts of a rollout ({@link Observations#series}). */
    public Map<String, List<Object>> series(Rollout r) {
        return observations.series(r);
    }

    /** What the orchestrator sees of each host of a rollout now ({@link Observations#of}). */
    public List<HostObservation> observe(Rollout r) {
        return observations.of(r);
    }

    private void recordDecision(Rollout r, Analysis.Decision d, Instant now) {
        Analysis.Verdict previous = lastVerdict.put(r.id(), d.verdict());
        if (previous == d.verdict()) return;
        PostedEvent e = store.event(r.service(), r.env(), r.id(), new RolloutEvent.AnalysisDecided(r.wave() + 1, d), now);
        listeners.forEach(l -> l.accept(e));
    }

    /** Persists a step and runs its actions in one transaction; false if the rollout changed under us. */
    private boolean apply(Rollout before, RolloutMachine.Step s) {
        Instant now = clock.instant();
        List<PostedEvent> events = new ArrayList<>();
        Map<String, Integer> woken = new HashMap<>();
        boolean ok = store.inTransaction(h -> {
            if (!store.update(h, s.rollout(), before.updatedAt())) return false;
            execute(h, s.rollout(), s.actions(), now, events, woken);
            return true;
        });
        if (ok) {
            if (s.rollout().state().terminal()) lastVerdict.remove(s.rollout().id());
            publish(events, before.service(), before.env(), woken);
        }
        return ok;
    }

    private void execute(Handle h, Rollout r, List<Action> actions, Instant now, List<PostedEvent> events,
                         Map<String, Integer> woken) {
        for (Action a : actions) {
            if (a instanceof Action.Assign as) {
                store.assign(h, r.service(), r.env(), as.hosts(), as.version());
                as.hosts().forEach(x -> woken.put(x, as.version()));
            } else if (a instanceof Action.MarkBad mb) {
                config.markBad(h, r.service(), mb.version(), mb.reason());
            } else if (a instanceof Action.Released rel) {
                config.recordRelease(h, r.service(), r.env(), rel.version(), r.actor(), r.breakGlass(), now);
                // hosts that were away during the rollout get the released version when they return
                List<String> behind = store.hosts(r.service(), r.env()).stream()
                        .filter(x -> !Integer.valueOf(rel.version()).equals(x.desiredVersion())).map(HostInfo::host).toList();
                store.assign(h, r.service(), r.env(), behind, rel.version());
                behind.forEach(x -> woken.put(x, rel.version()));
            } else if (a instanceof Action.Emit emit) {
                events.add(store.event(h, r.service(), r.env(), r.id(), emit.event(), now));
            }
        }
    }

    private void publish(List<PostedEvent> events, String service, String env, Map<String, Integer> woken) {
        signals.wake(service, env, woken);
        if (!woken.isEmpty()) announce.accept(service, env, woken);
        for (PostedEvent e : events) {
            for (Consumer<PostedEvent> l : listeners) {
                try {
                    l.accept(e);
                } catch (RuntimeException ex) {
                    log.warn("event listener failed on {}: {}", e.event().kind(), ex.toString());
                }
            }
        }
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }
}
