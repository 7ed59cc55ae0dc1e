package dev.rollguard.agent;

import dev.rollguard.protocol.HealthSample;
import dev.rollguard.protocol.LatencyHistogram;

import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request outcomes of the current reporting window: counts, 5xx, a bounded reservoir of latencies
 * for the p99, and every latency in {@link LatencyHistogram}'s buckets. Thread-safe; drained once per report.
 */
public final class HealthWindow {
    private static final int RESERVOIR = 4096;

    private long requests;
    private long errors;
    private long seen;
    private final double[] latencies = new double[RESERVOIR];
    // every latency, not a sample of them: the analysis compares whole distributions
    private final long[] buckets = new long[LatencyHistogram.BUCKETS];
    private int filled;
    private Instant start;
    private Instant firstErrorAt;
    private final Clock clock;
    // never drained: the local watchdog compares them before and after a switch
    private long totalRequests;
    private long totalErrors;

    public HealthWindow(Instant start) {
        this(start, Clock.systemUTC());
    }

    public HealthWindow(Instant start, Clock clock) {
        this.start = start;
        this.clock = clock;
    }

    public void record(int status, double latencyMillis) {
        record(status, latencyMillis, clock.instant());
    }

    /**
     * A request that ended at {@code at}: a caller that also keeps the moment itself (a simulated host) passes the same
     * instant, so the two agree exactly even when a busy machine stalls a thread between its clock and this lock.
     */
    public synchronized void record(int status, double latencyMillis, Instant at) {
        requests++;
        totalRequests++;
        if (status >= 500 || status <= 0) {
            totalErrors++;
            errors++;
            // the exact moment of the first failure (the earliest, whichever thread got here first): incidents measure
            // time-to-detect from it
            if (firstErrorAt == null || at.isBefore(firstErrorAt)) firstErrorAt = at;
        }
        if (latencyMillis >= 0) {
            seen++;
            buckets[LatencyHistogram.bucket(latencyMillis)]++;
            if (filled < RESERVOIR) {
                latencies[filled++] = latencyMillis;
            } else {
                long slot = ThreadLocalRandom.current().nextLong(seen);
                if (slot < RESERVOIR) latencies[(int) slot] = latencyMillis;
            }
        }
    }

    /** Requests and errors recorded since this window was made, across drains: {requests, errors}. */
    public synchronized long[] totals() {
        return new long[] {totalRequests, totalErrors};
    }

    /** Closes the window at {@code now} and starts the next one. */
    public synchronized HealthSample drain(Instant now, Integer version) {
        double p99 = 0;
        if (filled > 0) {
            double[] sorted = Arrays.copyOf(latencies, filled);
            Arrays.sort(sorted);
            p99 = sorted[Math.min(filled - 1, (int) Math.ceil(filled * 0.99) - 1)];
        }
        HealthSample s = new HealthSample(start, now, version, requests, errors, p99, seen, firstErrorAt,
                seen == 0 ? null : buckets.clone());
        Arrays.fill(buckets, 0);
        firstErrorAt = null;
        requests = 0;
        errors = 0;
        seen = 0;
        filled = 0;
        start = now;
        return s;
    }
}
