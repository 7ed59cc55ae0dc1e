package dev.rollguard.protocol;

/**
 * Fixed, log-spaced latency buckets shared by agents and the analysis: bucket i holds latencies up to 2^(i/4) ms (a
 * step of 19 %), bucket 0 everything up to 1 ms, the last everything above 2^(62/4) ms (about 46 s). Fixed bounds make
 * histograms of different hosts and windows add up bucket by bucket.
 */
public final class LatencyHistogram {
    public static final int BUCKETS = 64;
    private static final double STEPS_PER_DOUBLING = 4;

    private LatencyHistogram() {}

    public static int bucket(double millis) {
        if (!(millis > 1)) return 0;
        int b = (int) Math.ceil(STEPS_PER_DOUBLING * Math.log(millis) / Math.log(2) - 1e-9);
        return Math.min(BUCKETS - 1, b);
    }

    /** The upper bound of bucket {@code b} in milliseconds (infinite for the last). */
    public static double upperMillis(int b) {
        return b >= BUCKETS - 1 ? Double.POSITIVE_INFINITY : Math.pow(2, b / STEPS_PER_DOUBLING);
    }
}
