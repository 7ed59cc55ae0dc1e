package dev.rollguard.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A token bucket per caller: {@code burst} writes at once, refilled at {@code perSecond}. */
public final class RateLimiter {
    /** How fast a caller may go: {@code burst} at once, then {@code perSecond}. */
    public record Rate(double perSecond, double burst) {
        /** People's and CI's writes: a script's burst of 60 goes through, a loop is held to 20 a second. */
        public static final Rate WRITES = new Rate(20, 60);

        public Rate {
            if (!(perSecond > 0) || !(burst >= 1)) throw new IllegalArgumentException("a rate needs perSecond > 0 and burst >= 1, not " + perSecond + "/" + burst);
        }
    }

    private final double perSecond;
    private final double burst;
    private final Map<String, double[]> buckets = new ConcurrentHashMap<>();

    public RateLimiter(double perSecond, double burst) {
        this(new Rate(perSecond, burst));
    }

    public RateLimiter(Rate rate) {
        this.perSecond = rate.perSecond();
        this.burst = rate.burst();
    }

    /** 0 if the caller has a write left now (without taking it), else how many milliseconds until it has. */
    public long peek(String key, long nowNanos) {
        double[] b = buckets.get(key);
        if (b == null) return 0;
        synchronized (b) {
            double tokens = Math.min(burst, b[0] + (nowNanos - b[1]) / 1e9 * perSecond);
            return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perSecond * 1000);
        }
    }

    /** Whether {@code key} was ever counted (since its bucket was last forgotten). */
    public boolean knows(String key) {
        return buckets.containsKey(key);
    }

    /** 0 if allowed now, else how many milliseconds until the next write is. */
    public long acquire(String key, long nowNanos) {
        // forget idle callers now and then: a flood from many addresses must not grow this map without bound
        if (buckets.size() > 100_000) buckets.clear();
        double[] b = buckets.computeIfAbsent(key, k -> new double[]{burst, nowNanos});
        synchronized (b) {
            double elapsed = (nowNanos - b[1]) / 1e9;
            b[0] = Math.min(burst, b[0] + elapsed * perSecond);
            b[1] = nowNanos;
            if (b[0] >= 1) {
                b[0] -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - b[0]) / perSecond * 1000);
        }
    }
}
