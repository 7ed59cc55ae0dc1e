package dev.rollguard.web;

import dev.rollguard.Problem;

import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the memory request bodies take, whatever clients do. A body is held as bytes, then as text, then parsed
 * into a tree and checked: about {@link #COST} times its size at the peak. Every body being handled holds that much of
 * one budget (a share of the heap) until its request ends; a body that would exceed what is free waits a little,
 * then is refused with 503 {@code server_busy}, and no single body may be larger than the whole budget allows (413).
 */
public final class BodyBudget {
    /** Peak bytes of heap per byte of body: the bytes, their text, the parsed values and the tree built from them. */
    static final int COST = 4;
    private static final int UNIT = 1024;
    private static final long WAIT_MILLIS = 10_000;

    private final Semaphore free;
    private final long budgetBytes;

    BodyBudget(long budgetBytes) {
        this.budgetBytes = Math.max(UNIT, budgetBytes);
        this.free = new Semaphore((int) Math.min(Integer.MAX_VALUE, this.budgetBytes / UNIT), true);
    }

    /** A share of the heap: half of what this JVM may use. */
    static BodyBudget ofHeap() {
        return new BodyBudget(Runtime.getRuntime().maxMemory() / 2);
    }

    /** The largest body the budget can ever hold. */
    long largestBody() {
        return budgetBytes / COST;
    }

    int unitsFor(long bodyBytes) {
        return (int) Math.min(budgetBytes / UNIT, Math.max(1, (bodyBytes * COST + UNIT - 1) / UNIT));
    }

    /** Takes the budget of {@code bodyBytes}; returns the units to {@link #release} when the request ends. */
    int acquire(long bodyBytes) {
        int units = unitsFor(bodyBytes);
        try {
            if (free.tryAcquire(units, WAIT_MILLIS, TimeUnit.MILLISECONDS)) return units;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new Problem(503, "server_busy", "the server is handling as many large request bodies as its memory allows; retry shortly",
                Map.of("retryAfterSeconds", 2));
    }

    /** What health reports: the budget, what of it is free now, and how many requests wait for a share. */
    public record Use(long totalBytes, long freeBytes, int waiting) {}

    Use use() {
        return new Use(budgetBytes, (long) free.availablePermits() * UNIT, free.getQueueLength());
    }

    void release(int units) {
        if (units > 0) free.release(units);
    }
}
