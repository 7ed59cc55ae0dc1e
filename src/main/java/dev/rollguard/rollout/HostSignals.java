package dev.rollguard.rollout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
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

    private final Map<String, List<CompletableFuture<Desired>>> waiting = new ConcurrentHashMap<>();
    /**
     * Each host's desired version as it was last woken with (or read from the store when not yet known here): a wait that
     * re-chains after a delivery, or a heartbeat, reads it here instead of a database row. Set before the waits are
     * woken, so a wait that subscribed before reading it never misses a change; entries are only added by a read if
     * absent, so a read that raced a release never overwrites the release's version. The store stays the truth: a
     * replica that restarts reads each host again, another replica's releases arrive as wake-ups
     * ({@link HostRegistry#changedElsewhere}), and a report that finds the store disagreeing forgets the entry.
     */
    private final Map<String, Desired> last = new ConcurrentHashMap<>();
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

    static String key(String service, String env, String host) {
        return service + '\0' + env + '\0' + host;
    }

    /** As {@link #await(String, String, String)}, ending with {@link #TIMED_OUT} at {@code deadlineNanos} (System.nanoTime). */
    public CompletableFuture<Desired> await(String service, String env, String host, long deadlineNanos) {
        CompletableFuture<Desired> f = await(service, env, host);
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
        CompletableFuture<Desired> f = new CompletableFuture<>();
        String key = key(service, env, host);
        // added inside the map's own atomic step: a wake-up that takes the list away at the same moment either sees
        // this poll or leaves a fresh list behind, never an orphaned one that later wake-ups cannot reach
        waiting.compute(key, (k, list) -> {
            List<CompletableFuture<Desired>> l = list == null ? new CopyOnWriteArrayList<>() : list;
            l.add(f);
            return l;
        });
        f.whenComplete((v, e) -> waiting.computeIfPresent(key, (k, list) -> {
            list.remove(f);
            return list.isEmpty() ? null : list;
        }));
        return f;
    }

    /** The host's desired version as last known here (null: not known; read the store). */
    Desired known(String key) {
        return last.get(key);
    }

    /** The host's desired version as read from the store, kept unless a wake-up has set a newer one meanwhile. */
    void remember(String key, Desired desired) {
        last.putIfAbsent(key, desired);
    }

    /** Wakes the hosts' polls; {@code desired} is their new version when known to all of them, else null (they re-read). */
    public void wake(String service, String env, List<String> hosts, Desired desired) {
        List<CompletableFuture<Desired>> woken = new ArrayList<>();
        for (String h : hosts) {
            String key = key(service, env, h);
            if (desired == null) last.remove(key);
            else last.put(key, desired);
            List<CompletableFuture<Desired>> list = waiting.remove(key);
            if (list != null) woken.addAll(list);
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
        return waiting.values().stream().mapToInt(List::size).sum();
    }
}
