package dev.rollguard.rollout;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Wakes agents' long-polls when their desired version changes. In-process; with several replicas the
 * same wake-up travels through the database's notifications.
 */
public final class HostSignals {
    /** The new desired version, carried with the wake-up so thousands of waiting polls need no database read. */
    public record Desired(Integer version) {}

    /** What a wait that reached its deadline completes with (compared by identity). */
    public static final Desired TIMED_OUT = new Desired(null);
    /** Deadlines are kept in slots this wide: a wait ends at most this much after its deadline. */
    static final long SLOT_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    /** A host of a service's environment: how its waits, its version known here and its reports are keyed. */
    public record Host(String service, String env, String host) {
        /**
         * One order for all replicas: their report writers lock overlapping rows in the same order. The host's name first:
         * in a batch of one environment's reports it is the only part that differs.
         */
        static final Comparator<Host> ORDER = Comparator.comparing(Host::host).thenComparing(Host::env).thenComparing(Host::service);
    }

    /**
     * Each host's waits and its desired version as it was last woken with (or read from the store when not yet known
     * here), in one entry: a poll, a wake-up and a report each find both with one lookup. A wait that re-chains after a
     * delivery, or a heartbeat, reads the version here instead of a database row. The version is set in the same locked
     * step that takes the waits, so a wait that subscribed before reading it never misses a change; a read only sets it if
     * absent, so a read that raced a release never overwrites the release's version. The store stays the truth: a replica
     * that restarts reads each host again, another replica's releases arrive as wake-ups
     * ({@link HostRegistry#changedElsewhere}), and a report that finds the store disagreeing forgets the version.
     */
    private static final class Watch {
        /** Null: not known here (read the store). */
        private volatile Desired last;
        /**
         * The waits since the last wake-up, kept from one release to the next (a host has one wait at a time); those that
         * ended otherwise (their deadline, a cancel) are dropped when next seen, instead of each wait removing itself.
         */
        private final ArrayList<CompletableFuture<Desired>> waits = new ArrayList<>(1);

        synchronized void add(CompletableFuture<Desired> f) {
            if (!waits.isEmpty()) waits.removeIf(CompletableFuture::isDone);
            waits.add(f);
        }

        /** Sets the version ({@code null}: forget it) and hands over the waits that still wait. */
        synchronized void wake(Desired desired, List<CompletableFuture<Desired>> into) {
            last = desired;
            for (CompletableFuture<Desired> f : waits) if (!f.isDone()) into.add(f);
            waits.clear();
        }

        synchronized void remember(Desired desired) {
            if (last == null) last = desired;
        }

        synchronized int waiting() {
            int n = 0;
            for (CompletableFuture<Desired> f : waits) if (!f.isDone()) n++;
            return n;
        }
    }

    private final Map<Host, Watch> hosts = new ConcurrentHashMap<>();
    // completions run the waiting requests' responses: never on the thread that changed the state
    private final Executor responders = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "long-poll-responder");
        t.setDaemon(true);
        return t;
    });

    /**
     * The waits by the slot their deadline falls in: one sweep a slot ends the waits whose slot has come, instead of a
     * timer per wait (10,000 connected hosts re-arm 10,000 timers at each release, each a lock and a heap reordering).
     * A wait woken before its deadline stays in its slot, done, until the slot is swept.
     */
    private final ConcurrentSkipListMap<Long, Queue<CompletableFuture<Desired>>> deadlines = new ConcurrentSkipListMap<>();
    private final AtomicBoolean sweeping = new AtomicBoolean();

    private Watch watch(Host host) {
        Watch w = hosts.get(host);
        return w != null ? w : hosts.computeIfAbsent(host, k -> new Watch());
    }

    /** As {@link #await(String, String, String)}, ending with {@link #TIMED_OUT} at {@code deadlineNanos} (System.nanoTime). */
    public CompletableFuture<Desired> await(String service, String env, String host, long deadlineNanos) {
        return await(new Host(service, env, host), deadlineNanos);
    }

    /** As {@link #await(Host)}, ending with {@link #TIMED_OUT} at {@code deadlineNanos} (System.nanoTime). */
    public CompletableFuture<Desired> await(Host host, long deadlineNanos) {
        CompletableFuture<Desired> f = await(host);
        // the slot after the deadline's: never ends a wait early
        long at = Math.floorDiv(deadlineNanos, SLOT_NANOS) + 1;
        Queue<CompletableFuture<Desired>> slot = deadlines.computeIfAbsent(at, k -> new ConcurrentLinkedQueue<>());
        slot.add(f);
        // the slot was swept meanwhile (its time had come): the deadline has passed
        if (deadlines.get(at) != slot) f.complete(TIMED_OUT);
        if (!sweeping.get() && sweeping.compareAndSet(false, true)) {
            Thread sweeper = new Thread(this::sweep, "long-poll-deadlines");
            sweeper.setDaemon(true);
            sweeper.start();
        }
        return f;
    }

    /**
     * Ends the waits whose slot has come, each slot once; handed to the responders as wake-ups are. Runs while any wait
     * has a deadline (a server with no agents keeps no thread for it): a wait added as it stops finds it stopped, or it
     * sees the wait and goes on.
     */
    private void sweep() {
        while (!deadlines.isEmpty() || (sweeping.compareAndSet(true, false) && !deadlines.isEmpty() && sweeping.compareAndSet(false, true))) {
            try {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(SLOT_NANOS));
            } catch (InterruptedException e) {
                return;
            }
            long now = Math.floorDiv(System.nanoTime(), SLOT_NANOS);
            List<CompletableFuture<Desired>> due = new ArrayList<>();
            Map.Entry<Long, Queue<CompletableFuture<Desired>>> slot;
            while ((slot = deadlines.firstEntry()) != null && slot.getKey() <= now) {
                if (deadlines.remove(slot.getKey(), slot.getValue())) {
                    for (CompletableFuture<Desired> f : slot.getValue()) if (!f.isDone()) due.add(f);
                }
            }
            complete(due, TIMED_OUT);
        }
    }

    public CompletableFuture<Desired> await(String service, String env, String host) {
        return await(new Host(service, env, host));
    }

    /** Completes with the host's next wake-up: its new desired version, or null when it is to be read again. */
    public CompletableFuture<Desired> await(Host host) {
        CompletableFuture<Desired> f = new CompletableFuture<>();
        watch(host).add(f);
        return f;
    }

    /** The host's desired version as last known here (null: not known; read the store). */
    Desired known(Host host) {
        Watch w = hosts.get(host);
        return w == null ? null : w.last;
    }

    /** The host's desired version as read from the store, kept unless a wake-up has set a newer one meanwhile. */
    void remember(Host host, Desired desired) {
        watch(host).remember(desired);
    }

    /** Wakes the hosts' polls; {@code desired} is their new version when known to all of them, else null (they re-read). */
    public void wake(String service, String env, List<String> hosts, Desired desired) {
        List<CompletableFuture<Desired>> woken = new ArrayList<>(hosts.size());
        for (String h : hosts) {
            Host key = new Host(service, env, h);
            // a host not known here and not waiting: nothing to keep for it (its first poll reads the store)
            Watch w = desired == null ? this.hosts.get(key) : watch(key);
            if (w != null) w.wake(desired, woken);
        }
        complete(woken, desired);
    }

    private void complete(List<CompletableFuture<Desired>> woken, Desired desired) {
        if (woken.isEmpty()) return;
        int batch = Math.max(64, woken.size() / 4);
        for (int i = 0; i < woken.size(); i += batch) {
            List<CompletableFuture<Desired>> part = woken.subList(i, Math.min(woken.size(), i + batch));
            responders.execute(() -> part.forEach(f -> f.complete(desired)));
        }
    }

    /** Wakes each host with its own new version: hosts sharing a version are woken together. */
    public void wake(String service, String env, Map<String, Integer> versions) {
        Map<Integer, List<String>> byVersion = new HashMap<>();
        versions.forEach((host, v) -> byVersion.computeIfAbsent(v == null ? Integer.MIN_VALUE : v, k -> new ArrayList<>()).add(host));
        byVersion.forEach((v, hosts) -> wake(service, env, hosts, new Desired(v == Integer.MIN_VALUE ? null : v)));
    }

    public int waiting() {
        return hosts.values().stream().mapToInt(Watch::waiting).sum();
    }
}
