package dev.rollguard.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A token bucket per caller: {@code burst} writes at once, refilled at {@code perSecond}. */
public final class RateLimiter {
    private final double perSecond;
    private final double burst;
    private final Map<String, double[]> buckets = new ConcurrentHashMap<>();

    public RateLimiter(double perSecond, double burst) {
        this.perSecond = perSecond;
        this.burst = burst;
    }

    /** 0 if allowed now, else how many milliseconds until the next write is. */
    public long acquire(String key, long nowNanos) {
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
