package dev.rollguard.sandbox;

import dev.rollguard.Problem;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How many sandboxed runs may run at once, and which waiting one starts next. A freed slot goes to the owner (a
 * service) with the fewest runs going, among equals the one served longest ago: one push with hundreds of renderings
 * takes one slot after another in turn with everyone else, never all of them ahead of another service's one-file push.
 * (Owners are services, a bounded set: what is kept per owner is a count and a number.)
 *
 * <p>Waiting is bounded three ways: an owner may have {@code perOwner} runs waiting (more: 429, that owner asks too
 * much at once), all owners together {@code waiting} (more: 503, the server is full), and a waiting run leaves the
 * queue as soon as its {@link Turn} is over. Both refusals carry the seconds to wait before retrying.
 */
public final class Slots {
    /** The {@link Problem#details()} key the API answers as a Retry-After header. */
    public static final String RETRY_AFTER = "retryAfterSeconds";

    private final int capacity;
    private final int perOwner;
    private final int waitingLimit;
    private final Map<String, Integer> running = new HashMap<>();
    /** When each owner was last given a slot (a count of grants): among owners with as many runs going, the one served longest ago goes first. */
    private final Map<String, Long> lastServed = new HashMap<>();
    private long grants;
    private final LinkedHashMap<String, ArrayDeque<Waiter>> queues = new LinkedHashMap<>();
    private int inUse;
    private int waiting;
    private long arrivals;

    public Slots(int capacity, int perOwner, int waitingLimit) {
        if (capacity < 1 || perOwner < 1 || waitingLimit < 1) throw new IllegalArgumentException("slots, per-owner and waiting limits must be positive");
        this.capacity = capacity;
        this.perOwner = perOwner;
        this.waitingLimit = waitingLimit;
    }

    /** One run per core (at least two): the checkers are mostly CPU; 16 may wait per service, 64 in all. */
    public static Slots forThisMachine() {
        return new Slots(Math.max(2, Runtime.getRuntime().availableProcessors()), 16, 64);
    }

    /** A run refused because too many wait: the caller retries after {@link #RETRY_AFTER} seconds. */
    public static final class Refusal extends Problem {
        Refusal(int status, String code, String message, Map<String, Object> details) {
            super(status, code, message, details);
        }
    }

    private static final class Waiter {
        final long arrival;
        boolean granted;

        Waiter(long arrival) { this.arrival = arrival; }
    }

    /** A slot held: give it back with {@link #close()} (exactly once; closing again does nothing). */
    public final class Slot implements AutoCloseable {
        private final String owner;
        private boolean closed;

        private Slot(String owner) { this.owner = owner; }

        @Override
        public void close() {
            synchronized (Slots.this) {
                if (closed) return;
                closed = true;
                release(owner);
            }
        }
    }

    /** What is in use and waiting now (health, tests). */
    public record Use(int capacity, int running, int waiting) {}

    public synchronized Use use() {
        return new Use(capacity, inUse, waiting);
    }

    /**
     * Waits for a slot for {@code turn}'s owner.
     *
     * @throws Refusal 429 {@code checks_queue_full} or 503 {@code checkers_busy} when the queue is full, {@link Turn.Over}
     *                 when the turn ends while waiting
     */
    public synchronized Slot acquire(Turn turn) {
        turn.check();
        String owner = turn.owner();
        ArrayDeque<Waiter> mine = queues.get(owner);
        if (inUse < capacity && waiting == 0) {
            grant(owner);
            return new Slot(owner);
        }
        int queued = mine == null ? 0 : mine.size();
        if (queued >= perOwner) {
            throw new Refusal(429, "checks_queue_full", owner + " already has " + queued + " external checks waiting for the "
                    + capacity + " checker slot(s); retry when its other validations have ended", Map.of(RETRY_AFTER, 10));
        }
        if (waiting >= waitingLimit) {
            throw new Refusal(503, "checkers_busy", waiting + " external checks are waiting for the " + capacity
                    + " checker slot(s); nothing was stored, retry later", Map.of(RETRY_AFTER, 30));
        }
        Waiter w = new Waiter(arrivals++);
        queues.computeIfAbsent(owner, o -> new ArrayDeque<>()).addLast(w);
        waiting++;
        try {
            while (!w.granted) {
                String why = turn.overReason();
                if (why != null) break;
                long nanos = Math.min(turn.remainingNanos(), TimeUnit.MILLISECONDS.toNanos(200));
                TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, nanos));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            turn.cancel("interrupted");
        }
        if (w.granted) return new Slot(owner);
        // still queued: leave the queue; the turn says why
        ArrayDeque<Waiter> q = queues.get(owner);
        q.remove(w);
        if (q.isEmpty()) queues.remove(owner);
        waiting--;
        turn.check();
        throw new IllegalStateException("a waiter left without a slot or a reason");
    }

    private void grant(String owner) {
        inUse++;
        running.merge(owner, 1, Integer::sum);
        lastServed.put(owner, ++grants);
    }

    private void release(String owner) {
        inUse--;
        running.computeIfPresent(owner, (o, n) -> n == 1 ? null : n - 1);
        String next = next();
        if (next == null) return;
        ArrayDeque<Waiter> q = queues.get(next);
        Waiter w = q.removeFirst();
        if (q.isEmpty()) queues.remove(next);
        waiting--;
        w.granted = true;
        grant(next);
        notifyAll();
    }

    /** The waiting owner with the fewest runs going; among equals, the one served longest ago (never: first come). */
    private String next() {
        String best = null;
        int bestRunning = Integer.MAX_VALUE;
        long bestServed = Long.MAX_VALUE;
        long bestArrival = Long.MAX_VALUE;
        for (Map.Entry<String, ArrayDeque<Waiter>> e : queues.entrySet()) {
            int r = running.getOrDefault(e.getKey(), 0);
            long served = lastServed.getOrDefault(e.getKey(), 0L);
            long a = e.getValue().peekFirst().arrival;
            if (r < bestRunning || (r == bestRunning && (served < bestServed || (served == bestServed && a < bestArrival)))) {
                best = e.getKey();
                bestRunning = r;
                bestServed = served;
                bestArrival = a;
            }
        }
        return best;
    }
}
