package dev.rollguard.rollout;

import java.util.List;

/**
 * What an automatic decision rests on, as facts: the canary analysis' numbers ({@link Numbers}), or one host that
 * decided a rollout by itself ({@link Host}: silent, failed, or never applied the version). Code reads the fields; the
 * timeline shows them as the event's data ({@link EventData}, the one place they become keys).
 */
public sealed interface Grounds {
    /** The host whose silence, failure or missing apply stopped the rollout. */
    record Host(String host) implements Grounds {}

    /**
     * The analysis' numbers as far as it got: the totals always, then those of the guard or the tests that decided (null:
     * the analysis stopped before them). Latency is judged by {@code latency} (agents sending histograms) or by {@code p99}
     * (older agents), never both.
     */
    record Numbers(Totals totals, Double canaryErrorRateLow, FailFast failFast, RateNumbers errorTest, Latency latency, P99 p99)
            implements Grounds {
        static Numbers of(Totals totals) {
            return new Numbers(totals, null, null, null, null, null);
        }

        Numbers withCeiling(double low) { return new Numbers(totals, low, failFast, errorTest, latency, p99); }

        Numbers withFailFast(FailFast f) { return new Numbers(totals, canaryErrorRateLow, f, errorTest, latency, p99); }

        Numbers withErrorTest(RateNumbers t) { return new Numbers(totals, canaryErrorRateLow, failFast, t, latency, p99); }

        Numbers withLatency(Latency l) { return new Numbers(totals, canaryErrorRateLow, failFast, errorTest, l, p99); }

        Numbers withP99(P99 p) { return new Numbers(totals, canaryErrorRateLow, failFast, errorTest, latency, p); }
    }

    record Totals(long canaryRequests, long canaryErrors, double canaryErrorRate, long baselineRequests, long baselineErrors,
                  double baselineErrorRate) {}

    /** The canary host whose last seconds failed at the fail-fast rate. */
    record FailFast(String host, long requests, long errors) {}

    /**
     * A sequential test ({@link RateTest}): its worst canary host (null: none tested), the count H0 expects, the statistic
     * and its boundary, the canary's and baseline's rates, and what the test set aside (hosts, burst seconds).
     */
    record RateNumbers(WorstHost worst, double expectedHits, double z, double zFailAt, double canaryRate, double baselineRate,
                       double hostSpread, double fleetDrift, int baselineHostsUsed, List<String> baselineHostsLeftOut,
                       int burstSecondsSetAside) {
        public RateNumbers {
            baselineHostsLeftOut = List.copyOf(baselineHostsLeftOut);
        }
    }

    /** H0 ({@code p0}) and H1 ({@code p1}) of the canary host the test judged worst, its expected rate and its history's trials. */
    record WorstHost(double p0, double p1, String host, double expected, long history) {}

    /** The latency test: the threshold (the baseline's quantile) and the test on the share of requests slower than it. */
    record Latency(double thresholdMs, RateNumbers slow) {}

    /** The older agents' latency check: canary and baseline p99. */
    record P99(double canaryMs, double baselineMs) {}
}
