package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.storage.Transactions;
import dev.rollguard.storage.Tx;
import dev.rollguard.versions.ConfigService;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs the rollouts: every tick, the pure {@link RolloutMachine} fed with the database's and the agents' view; applies
 * each step (the rollout, then its actions) in one transaction, then wakes the long-polls of hosts whose desired
 * version changed and tells the listeners (incidents) of the events. The only writer of rollouts, assignments and
 * releases. Rollouts and hosts are in the database, so a restarted server picks every rollout up where it was; only the
 * last analysis verdict per rollout (to log each change once) and the watch below live in memory.
 */
public final class Orchestrator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Orchestrator.class);
    private static final Duration MAX_TICK_PAUSE = Duration.ofSeconds(2);
    /**
     * A gap between passes longer than this, or than three passes take (a large fleet makes them slow), means a stalled
     * or suspended server: the watch starts over.
     */
    private static final Duration WATCH_GAP = Duration.ofSeconds(5);

    private final Transactions db;
    private final ConfigService config;
    private final RolloutStore store;
    private final HostSignals signals;
    private final Observations observations;
    private final Clock clock;
    private final List<Consumer<PostedEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Analysis.Verdict> lastVerdict = new ConcurrentHashMap<>();
    /** Since when this orchestrator has watched each running rollout without a gap: only watched time is bake time. */
    private final Map<String, Instant> watchedSince = new ConcurrentHashMap<>();
    private volatile Instant lastTick;
    /** Since when this server has heard its agents without a gap: set by the first pass after a start, a stall or a takeover. */
    private volatile Instant listeningSince;
    private volatile Duration lastTickTook = Duration.ZERO;
    private volatile ScheduledExecutorService loop;
    /** Whether this server runs the orchestrator now (of several servers, the lease holder); always, alone. */
    private volatile BooleanSupplier duty = () -> true;
    /** Tells other servers of desired-version changes (service, env, host → version); null: this server is alone. */
    private volatile Announce announce;
    private volatile HealthGaps gaps = HealthGaps.NONE;
    /** What the ticks observe of their rollouts' hosts, kept between ticks (only the orchestrator's thread reads it). */
    private volatile Observations.Tracked tracked;

    /** Hosts a step assigned a version, in the order of its actions. */
    record Assigned(List<String> hosts, Integer version) {}

    /**
     * Each host's version after a step's assignments: the last one assigned (only when a step assigns hosts more than once
     * is a map built; a release assigns 10,000 hosts once).
     */
    static Map<String, Integer> byHost(List<Assigned> assigned) {
        Map<String, Integer> versions = new HashMap<>();
        for (Assigned a : assigned) for (String h : a.hosts()) versions.put(h, a.version());
        return versions;
    }

    /**
     * The hosts in the order of their rows' key (the store's index), not the rollout's shuffled order: the hosts answer,
     * and so report, about in the order they were woken, and a group commit of neighbouring rows writes a few pages where
     * one of hosts drawn at random writes one page per host (on SQLite, half the report writer's time at 10,000 hosts).
     */
    static List<String> inRowOrder(List<String> hosts) {
        List<String> sorted = new ArrayList<>(hosts);
        sorted.sort(null);
        return sorted;
    }

    @FunctionalInterface
    public interface Announce {
        void accept(String service, String env, Map<String, Integer> hosts);
    }

    public Orchestrator(Transactions db, ConfigService config, RolloutStore store, HostSignals signals, Observations observations, Clock clock) {
        this.db = db;
        this.config = config;
        this.store = store;
        this.signals = signals;
        this.observations = observations;
        this.clock = clock;
        this.tracked = observations.tracked(false);
    }

    /**
     * Whether this server is the hosts' only writer (one server on SQLite, not replicas sharing PostgreSQL): then a tick
     * reads again only the hosts whose reports or samples came in since the last ({@link Observations.Tracked}).
     */
    public void soleWriter(boolean sole) {
        this.tracked = observations.tracked(sole);
    }

    public void runOnlyWhen(BooleanSupplier duty) {
        this.duty = duty;
    }

    public void announceWith(Announce announce) {
        this.announce = announce;
    }

    /** A health source beside the agents (Prometheus) that can go silent: the orchestrator asks it before each step. */
    public void watchGaps(HealthGaps gaps) {
        this.gaps = gaps;
    }

    public void onEvent(Consumer<PostedEvent> listener) {
        listeners.add(listener);
    }

    /** Starts the loop: one step over every running rollout each {@code tick}. */
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
                // another server orchestrates: when this one takes over, it watches (and listens) from then on, and reads
                // its rollouts' hosts whole (its views would be stale, and nothing marks changes for them meanwhile)
                watchedSince.clear();
                lastTick = null;
                tracked.retain(List.of());
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

    /** One pass over the running rollouts. */
    public void tick() {
        Instant started = clock.instant();
        Duration gap = lastTickTook.multipliedBy(3).compareTo(WATCH_GAP) > 0 ? lastTickTook.multipliedBy(3) : WATCH_GAP;
        if (lastTick == null || Duration.between(lastTick, started).compareTo(gap) > 0) {
            watchedSince.clear();
            listeningSince = started;
        }
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
        Observations.Tracked view = tracked;
        view.retain(active.stream().filter(r -> r.state() == Rollout.State.RUNNING).toList());
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
            RolloutMachine.Step s = RolloutMachine.step(r, view.of(r), now, since, listeningSince);
            if (s.decision() != null) recordDecision(r, s.decision(), now);
            if (s.changed(r)) apply(r, s);
        }
    }

    private void recordDecision(Rollout r, Analysis.Decision d, Instant now) {
        Analysis.Verdict previous = lastVerdict.put(r.id(), d.verdict());
        if (previous == d.verdict()) return;
        PostedEvent e = store.event(r.service(), r.env(), r.id(), new RolloutEvent.AnalysisDecided(r.wave() + 1, d), now);
        listeners.forEach(l -> l.accept(e));
    }

    /** Inserts a new rollout with its start event and its first step, unless another rollout of its environment runs. */
    void begin(Rollout r, RolloutEvent.Started started, RolloutMachine.Step first) {
        Instant now = clock.instant();
        List<PostedEvent> events = new ArrayList<>();
        List<Assigned> woken = new ArrayList<>();
        db.useTransaction(tx -> {
            if (store.activeFor(tx, r.service(), r.env()).isPresent()) {
                throw Problem.conflict("rollout_in_progress", "a rollout to " + r.service() + "/" + r.env()
                        + " is already running; pause, abort or wait for it");
            }
            store.insert(tx, r);
            events.add(store.event(tx, r.service(), r.env(), r.id(), started, now));
            if (first.rollout() != r) store.update(tx, first.rollout(), r.updatedAt());
            execute(tx, first.rollout(), first.actions(), now, events, woken);
        });
        publish(events, r.service(), r.env(), woken);
    }

    /** Persists a step and runs its actions in one transaction; false if the rollout changed under us. */
    boolean apply(Rollout before, RolloutMachine.Step s) {
        Instant now = clock.instant();
        List<PostedEvent> events = new ArrayList<>();
        List<Assigned> woken = new ArrayList<>();
        boolean ok = db.inTransaction(tx -> {
            if (!store.update(tx, s.rollout(), before.updatedAt())) return false;
            execute(tx, s.rollout(), s.actions(), now, events, woken);
            return true;
        });
        if (ok) {
            if (s.rollout().state().terminal()) lastVerdict.remove(s.rollout().id());
            publish(events, before.service(), before.env(), woken);
        }
        return ok;
    }

    private void execute(Tx tx, Rollout r, List<Action> actions, Instant now, List<PostedEvent> events, List<Assigned> woken) {
        for (Action a : actions) {
            if (a instanceof Action.Assign as) {
                store.assign(tx, r.service(), r.env(), as.hosts(), as.version());
                if (!as.hosts().isEmpty()) woken.add(new Assigned(as.hosts(), as.version()));
            } else if (a instanceof Action.MarkBad mb) {
                config.markBad(tx, r.service(), mb.version(), mb.reason());
            } else if (a instanceof Action.Released rel) {
                config.recordRelease(tx, r.service(), r.env(), rel.version(), r.actor(), r.breakGlass(), now);
                // hosts that were away during the rollout get the released version when they return
                List<String> behind = store.behind(r.service(), r.env(), rel.version());
                store.assign(tx, r.service(), r.env(), behind, rel.version());
                if (!behind.isEmpty()) woken.add(new Assigned(behind, rel.version()));
            } else if (a instanceof Action.Emit emit) {
                events.add(store.event(tx, r.service(), r.env(), r.id(), emit.event(), now));
            }
        }
    }

    private void publish(List<PostedEvent> events, String service, String env, List<Assigned> woken) {
        if (woken.size() == 1) signals.wake(service, env, inRowOrder(woken.get(0).hosts()), new HostSignals.Desired(woken.get(0).version()));
        else if (!woken.isEmpty()) signals.wake(service, env, byHost(woken));
        Announce a = announce;
        if (a != null && !woken.isEmpty()) a.accept(service, env, byHost(woken));
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
}
