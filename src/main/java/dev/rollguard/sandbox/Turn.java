package dev.rollguard.sandbox;

import dev.rollguard.Problem;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One caller's claim on sandboxed runs: whose they are (the service a validation is for: {@link Slots} shares the
 * slots fairly between owners), until when they may run, and whether the caller gave up. A run that waits for a slot or
 * is running when its turn is over is taken out of the queue or killed, and {@link Over} ends the caller's validation.
 */
public final class Turn {
    private final String owner;
    private final long deadlineNanos;
    private final AtomicReference<String> cancelled = new AtomicReference<>();

    private Turn(String owner, long deadlineNanos) {
        this.owner = owner;
        this.deadlineNanos = deadlineNanos;
    }

    /** A turn for {@code owner} that ends after {@code within}. */
    public static Turn of(String owner, Duration within) {
        return new Turn(owner, System.nanoTime() + within.toNanos());
    }

    /** A turn without a deadline: the offline CLI's, and benchmarks'. */
    public static Turn unbounded(String owner) {
        return new Turn(owner, Long.MAX_VALUE);
    }

    public String owner() { return owner; }

    /** Ends the turn (the request was abandoned, or another of its runs failed): its waiting and running jobs stop. */
    public void cancel(String why) {
        cancelled.compareAndSet(null, why);
    }

    /** Nanoseconds left before the deadline (never negative; {@link Long#MAX_VALUE} without one). */
    public long remainingNanos() {
        if (deadlineNanos == Long.MAX_VALUE) return Long.MAX_VALUE;
        return Math.max(0, deadlineNanos - System.nanoTime());
    }

    /** Why the turn is over, or null while it lasts. */
    public String overReason() {
        String why = cancelled.get();
        if (why != null) return why;
        return remainingNanos() == 0 ? "its time ran out" : null;
    }

    /** Throws {@link Over} once the turn is over. */
    public void check() {
        String why = overReason();
        if (why != null) throw new Over(owner, why);
    }

    /**
     * A validation whose turn ended before its external checks did (503, retry later): nothing was stored; what was
     * running was killed.
     */
    public static final class Over extends Problem {
        public Over(String owner, String why) {
            super(503, "validation_abandoned", "the validation for " + owner + " was stopped before its external checks ended ("
                    + why + "); nothing was stored, retry later", Map.of(Slots.RETRY_AFTER, 30));
        }
    }
}
