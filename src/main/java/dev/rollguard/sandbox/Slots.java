package dev.rollguard.sandbox;

import com.sun.management.OperatingSystemMXBean;
import dev.rollguard.Problem;

import java.lang.management.ManagementFactory;
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
 * <p>Memory is bounded across runs as well as per run: a run is admitted only while the {@link Job#ceiling() ceilings}
 * of the runs going, its own included, stay within the server's sandbox memory budget. A freed slot or freed memory goes
 * to the owner chosen as above; when that owner's next run does not fit yet, nobody overtakes it (a large run is never
 * starved by a stream of small ones), and it starts as soon as enough ends.
 *
 * <p>Waiting is bounded three ways: an owner may have {@code perOwner} runs waiting (more: 429, that owner asks too
 * much at once), all owners together {@code waiting} (more: 503, the server is full), and a waiting run leaves the
 * queue as soon as its {@link Turn} is over. Both refusals carry the seconds to wait before retrying.
 */
public final class Slots {
    /** The {@link Problem#details()} key the API answers as a Retry-After header. */
    public static final String RETRY_AFTER = "retryAfterSeconds";

    private final int capacity;
    private final long memoryBudget;
    private final int perOwner;
    private final int waitingLimit;
    private final Map<String, Integer> running = new HashMap<>();
    /** When each owner was last given a slot (a count of grants): among owners with as many runs going, the one served longest ago goes first. */
    private final Map<String, Long> lastServed = new HashMap<>();
    private long grants;
    private final LinkedHashMap<String, ArrayDeque<Waiter>> queues = new LinkedHashMap<>();
    private int inUse;
    /** The ceilings of the runs going, summed. */
    private long reserved;
    private int waiting;
    private long arrivals;

    /** Slots bounded by their count only (no memory budget). */
    public Slots(int capacity, int perOwner, int waitingLimit) {
        this(capacity, Long.MAX_VALUE, perOwner, waitingLimit);
    }

    /**
     * @param memoryBudget what the runs going may hold together, in bytes (at least one job's {@link Job#MEMORY_CEILING},
     *                     so that any job can run once it is alone)
     */
    public Slots(int capacity, long memoryBudget, int perOwner, int waitingLimit) {
        if (capacity < 1 || perOwner < 1 || waitingLimit < 1) throw new IllegalArgumentException("slots, per-owner and waiting limits must be positive");
        if (memoryBudget < Job.MEMORY_CEILING) {
            throw new IllegalArgumentException("the sandbox memory budget (" + (memoryBudget >> 20) + " MiB) must hold at least one job's ceiling ("
                    + (Job.MEMORY_CEILING >> 20) + " MiB)");
        }
        this.capacity = capacity;
        this.memoryBudget = memoryBudget;
        this.perOwner = perOwner;
        this.waitingLimit = waitingLimit;
    }

    /**
     * One run per core (at least two): the checkers are mostly CPU; the memory budget as given (or {@link #defaultMemoryBudget}
     * when 0); 16 may wait per service, 64 in all.
     */
    public static Slots forThisMachine(long memoryBudget) {
        return new Slots(Math.max(2, Runtime.getRuntime().availableProcessors()), memoryBudget == 0 ? defaultMemoryBudget() : memoryBudget, 16, 64);
    }

    /**
     * Half of this machine's memory (a container's limit where the JVM runs in one), and never less than one job's
     * ceiling: the other half is the server's heap, its database and the system's.
     */
    public static long defaultMemoryBudget() {
        long total = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return Math.max(Job.MEMORY_CEILING, total / 2);
    }

    /** A run refused because too many wait: the caller retries after {@link #RETRY_AFTER} seconds. */
    public static final class Refusal extends Problem {
        Refusal(int status, String code, String message, Map<String, Object> details) {
            super(status, code, message, details);
        }
    }

    private static final class Waiter {
        final long arrival;
        final long ceiling;
        boolean granted;

        Waiter(long arrival, long ceiling) {
            this.arrival = arrival;
            this.ceiling = ceiling;
        }
    }

    /** A slot held: give it back with {@link #close()} (exactly once; closing again does nothing). */
    public final class Slot implements AutoCloseable {
        private final String owner;
        private final long ceiling;
        private boolean closed;

        private Slot(String owner, long ceiling) {
            this.owner = owner;
            this.ceiling = ceiling;
        }

        @Override
        public void close() {
            synchronized (Slots.this) {
                if (closed) return;
                closed = true;
                release(owner, ceiling);
            }
        }
    }

    /** What is in use and waiting now (health, tests); memory in bytes. */
    public record Use(int capacity, int running, int waiting, long memoryBudget, long memoryReserved) {}

    public synchronized Use use() {
        return new Use(capacity, inUse, waiting, memoryBudget, reserved);
    }

    /**
     * Waits for a slot for {@code turn}'s owner, and for {@code ceiling} bytes of the memory budget.
     *
     * @throws Refusal 429 {@code checks_queue_full} or 503 {@code checkers_busy} when the queue is full, {@link Turn.Over}
     *                 when the turn ends while waiting
     */
    public synchronized Slot acquire(Turn turn, long ceiling) {
        turn.check();
        if (ceiling < 0 || ceiling > memoryBudget) {
            throw new IllegalArgumentException("a run of " + (ceiling >> 20) + " MiB can never fit the sandbox memory budget of "
                    + (memoryBudget >> 20) + " MiB");
        }
        String owner = turn.owner();
        ArrayDeque<Waiter> mine = queues.get(owner);
        if (waiting == 0 && fits(ceiling)) {
            grant(owner, ceiling);
            return new Slot(owner, ceiling);
        }
        int queued = mine == null ? 0 : mine.size();
        if (queued >= perOwner) {
            throw new Refusal(429, "checks_queue_full", owner + " already has " + queued + " external checks waiting for the "
                    + capacity + " checker slot(s) and " + (memoryBudget >> 20) + " MiB of sandbox memory; retry when its other validations have ended",
                    Map.of(RETRY_AFTER, 10));
        }
        if (waiting >= waitingLimit) {
            throw new Refusal(503, "checkers_busy", waiting + " external checks are waiting for the " + capacity
                    + " checker slot(s) and " + (memoryBudget >> 20) + " MiB of sandbox memory; nothing was stored, retry later", Map.of(RETRY_AFTER, 30));
        }
        Waiter w = new Waiter(arrivals++, ceiling);
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
        if (w.granted) return new Slot(owner, ceiling);
        // still queued: leave the queue; the turn says why
        ArrayDeque<Waiter> q = queues.get(owner);
        q.remove(w);
        if (q.isEmpty()) queues.remove(owner);
        waiting--;
        // it may have been the run the others waited behind
        dispatch();
        turn.check();
        throw new IllegalStateException("a waiter left without a slot or a reason");
    }

    private boolean fits(long ceiling) {
        return inUse < capacity && reserved + ceiling <= memoryBudget;
    }

    private void grant(String owner, long ceiling) {
        inUse++;
        reserved += ceiling;
        running.merge(owner, 1, Integer::sum);
        lastServed.put(owner, ++grants);
    }

    private void release(String owner, long ceiling) {
        inUse--;
        reserved -= ceiling;
        running.computeIfPresent(owner, (o, n) -> n == 1 ? null : n - 1);
        dispatch();
    }

    /** Starts waiting runs, the fairest first, while the next one fits (a large run's freed memory may start several). */
    private void dispatch() {
        boolean any = false;
        String next;
        while ((next = next()) != null) {
            ArrayDeque<Waiter> q = queues.get(next);
            Waiter w = q.peekFirst();
            if (!fits(w.ceiling)) break;
            q.removeFirst();
            if (q.isEmpty()) queues.remove(next);
            waiting--;
            w.granted = true;
            grant(next, w.ceiling);
            any = true;
        }
        if (any) notifyAll();
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
