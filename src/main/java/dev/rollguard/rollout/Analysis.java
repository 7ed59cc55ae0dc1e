package dev.rollguard.rollout;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.health.Counts;
import dev.rollguard.protocol.LatencyHistogram;

import java.util.ArrayList;
import java.util.List;

/**
 * Canary analysis: hosts on the new version (canary) against hosts still on the old one (baseline), from their
 * per-host reporting windows ({@link Evidence}). In order:
 * <ul>
 *   <li>no canary request yet: no decision, never a pass;</li>
 *   <li>hard guards that fail at once: the canary's 5xx rate is over {@code maxErrorRate} with confidence (Wilson
 *   lower bound, bursts set aside as the 5xx test sets them aside, at least {@code minErrorCount} errors), or a canary host's last seconds fail at
 *   {@code failFastErrorRate} or more (a config that breaks every request is rolled back within a report);</li>
 *   <li>a group-sequential test on the canary's 5xx count ({@link RateTest}): H0 is the rate expected of each canary host
 *   (its own history shrunk towards the baseline hosts, scaled by the fleet's drift since the release), with that
 *   estimate's uncertainty; the evidence is the upper tail probability of the count seen, as a z, against a boundary
 *   that spends the false-alarm budget {@code alpha} mostly at the end of each bake ({@link AlphaSpending}: the
 *   O'Brien-Fleming-like spending function of Lan and DeMets). Looking every second costs almost nothing at the end of
 *   the bake, where a single end-of-bake test would look, while large effects are stopped early by the guards above;</li>
 *   <li>latency, on distributions where agents send histograms: the same test on the fraction of requests slower than
 *   the baseline's {@code latencyQuantile} (a canary whose tail or spread grows sends more requests past it, even with
 *   its median unchanged); from older agents, without histograms: canary p99 above baseline p99 × tolerance + slack,
 *   with a minimum of samples.</li>
 * </ul>
 * A PASS is reported once the canary's count is improbably low for H1 ({@code ratio}, {@code delta}; probability at most
 * {@code beta}): a fact for people, the wave still bakes its time.
 * Pure: same windows in, same decision out. Every decision carries the numbers that made it.
 */
public final class Analysis {
    public enum Verdict { PASS, FAIL, CONTINUE }

    /** Which test made a decision: a fact for benchmarks and tables, never read back from the reason's words. */
    public enum Check {
        NONE("-"), ERROR_CEILING("5xx ceiling"), FAIL_FAST("fail-fast"), ERROR_TEST("5xx test"), LATENCY_TEST("latency test"),
        P99_LIMIT("p99 limit");

        private final String label;

        Check(String label) { this.label = label; }

        public String label() { return label; }
    }

    /** {@code grounds}: the numbers it rests on (a host, for decisions a single host made by itself). */
    public record Decision(Verdict verdict, Check check, String reason, Grounds grounds) {
        /** The analysis' numbers (null when one host decided). */
        public Grounds.Numbers numbers() {
            return grounds instanceof Grounds.Numbers n ? n : null;
        }
    }

    /** A canary host's last seconds judged by the fail-fast guard: at least this many requests, or this many windows. */
    private static final int FAIL_FAST_REQUESTS = 20;
    private static final int FAIL_FAST_WINDOWS = 3;
    /**
     * The latency test's H0 allows the canary host at least this many standard errors over its own slow share: a slow share
     * moves with more than sampling noise (a restart's cold caches, a busy neighbour), which the 5xx count does not.
     */
    private static final double LATENCY_HOST_SPREAD = 2.0;

    private Analysis() {}

    /** Totals of canary and baseline, as one window each (callers without per-host windows). */
    public static Decision decide(Counts canary, Counts baseline, AnalysisSettings s) {
        List<Evidence.HostWindows> b = baseline.requests() == 0 && baseline.latencySamples() == 0 ? List.of()
                : List.of(new Evidence.HostWindows("baseline", List.of(Evidence.Window.of(baseline))));
        // totals carry no time: judged as one look at the end of the first bake (a fixed-sample test at its share of alpha)
        return decide(new Evidence(List.of(new Evidence.HostWindows("canary", List.of(Evidence.Window.of(canary)))), b), s, s.horizonSeconds());
    }

    /** The evidence at its look: the seconds the longest-serving canary host has reported on the new version. */
    public static Decision decide(Evidence e, AnalysisSettings s) {
        int look = 0;
        for (Evidence.HostWindows h : e.canary()) look = Math.max(look, h.windows().size());
        return decide(e, s, look);
    }

    private static Decision decide(Evidence e, AnalysisSettings s, int look) {
        Counts canary = total(e.canary());
        Counts baseline = total(e.baseline());
        Grounds.Numbers n = Grounds.Numbers.of(new Grounds.Totals(canary.requests(), canary.errors(), round(canary.errorRate()),
                baseline.requests(), baseline.errors(), round(baseline.errorRate())));
        if (canary.requests() == 0) return new Decision(Verdict.CONTINUE, Check.NONE, "no canary traffic yet", n);

        RateTest.Params errorParams = new RateTest.Params(s.baselineFloor(), s.ratio(), s.delta(), s.burstSeconds(), s.hostSpread(),
                s.alpha(), s.beta(), s.horizonSeconds(), s.firstBakeShare());
        RateTest.Result errors = RateTest.run(counts(e.canary(), null), counts(e.baseline(), null), errorParams, look);
        double z = zOf(s.alpha());
        // the ceiling is absolute, on the canary's requests with its bursts set aside as the 5xx test sets them aside: a
        // healthy host's 2-5 s hiccup (5-30 % 5xx) in a release's first seconds is over any ceiling by itself, and it was
        // most of the benchmark's false rollbacks; a version that fails every request is stopped by fail-fast below at its
        // first report, and one that fails a share of them on every second is no burst once its windows outnumber the
        // burst allowance (burstSeconds a minute)
        long ceilingErrors = errors.canaryHits();
        long ceilingRequests = errors.canaryTrials();
        double ceilingLow = RateTest.wilsonLower(ceilingErrors, ceilingRequests, z);
        if (ceilingErrors >= s.minErrorCount() && ceilingLow > s.maxErrorRate()) {
            n = n.withCeiling(round(ceilingLow));
            return new Decision(Verdict.FAIL, Check.ERROR_CEILING, String.format("canary 5xx rate %.2f%% is over the %.2f%% ceiling (%d of %d requests, "
                    + "bursts set aside; at least %.2f%% with %.0f%% confidence)", 100.0 * ceilingErrors / ceilingRequests, 100 * s.maxErrorRate(),
                    ceilingErrors, ceilingRequests, 100 * ceilingLow, 100 * (1 - s.alpha())), n);
        }
        for (Evidence.HostWindows h : e.canary()) {
            long[] recent = recent(h.windows());
            if (recent[1] >= s.minErrorCount() && recent[1] >= s.failFastErrorRate() * recent[0]) {
                n = n.withFailFast(new Grounds.FailFast(h.host(), recent[0], recent[1]));
                return new Decision(Verdict.FAIL, Check.FAIL_FAST, String.format("canary host %s failed %d of its last %d requests (%.0f%%, over the %.0f%% fail-fast ceiling)",
                        h.host(), recent[1], recent[0], 100.0 * recent[1] / recent[0], 100 * s.failFastErrorRate()), n);
            }
        }
        n = n.withErrorTest(numbers(errors));
        if (errors.fail()) {
            RateTest.HostTest w = errors.worst();
            return new Decision(Verdict.FAIL, Check.ERROR_TEST, String.format("sequential test: canary 5xx rate %.3f%% is significantly above "
                    + "baseline %.3f%% (host %s: %.3f%% against %.3f%% expected of it; z %.2f >= %.2f, the boundary at second %d)",
                    100 * errors.canaryRate(), 100 * errors.baselineRate(), w.host(), 100.0 * w.hits() / Math.max(1, w.trials()),
                    100 * w.expected(), errors.z(), errors.failAt(), look), n);
        }
        boolean latencyPass = true;
        if (histograms(e.canary()) && histograms(e.baseline())) {
            long[] pooled = pooledHistogram(e.baseline());
            long total = 0;
            for (long c : pooled) total += c;
            if (total >= s.minLatencySamples()) {
                // never below latencySlackMillis: a request answered in 3 ms instead of 1 ms harms nobody, and at that scale a
                // graceful restart's cold caches or a busy machine decide the tail (a false rollback on real Apache showed it)
                int threshold = Math.max(quantileBucket(pooled, total, s.latencyQuantile()), LatencyHistogram.bucket(s.latencySlackMillis()));
                RateTest.Params lp = new RateTest.Params(s.baselineFloor(), s.latencyRatio(), s.latencyDelta(), s.burstSeconds(),
                        Math.max(s.hostSpread(), LATENCY_HOST_SPREAD), s.latencyAlpha(), s.beta(), s.horizonSeconds(), s.firstBakeShare());
                RateTest.Result slow = RateTest.run(counts(e.canary(), threshold), counts(e.baseline(), threshold), lp, look);
                double limit = LatencyHistogram.upperMillis(threshold);
                n = n.withLatency(new Grounds.Latency(round(limit), numbers(slow)));
                if (slow.fail()) {
                    return new Decision(Verdict.FAIL, Check.LATENCY_TEST, String.format("sequential test: %.2f%% of canary requests are slower "
                            + "than %.0f ms against %.2f%% of baseline requests (the baseline's p%.0f; z %.2f >= %.2f, the boundary at second %d)",
                            100 * slow.canaryRate(), limit, 100 * slow.baselineRate(), 100 * s.latencyQuantile(), slow.z(), slow.failAt(), look), n);
                }
                // seconds set aside as bursts are no evidence of health: only a canary that measured no latency at all passes without it
                latencyPass = slow.pass() || canary.latencySamples() == 0;
            }
        } else if (canary.latencySamples() >= s.minLatencySamples() && baseline.latencySamples() >= s.minLatencySamples()) {
            double limit = baseline.p99Millis() * s.latencyTolerance() + s.latencySlackMillis();
            n = n.withP99(new Grounds.P99(round(canary.p99Millis()), round(baseline.p99Millis())));
            if (canary.p99Millis() > limit) {
                return new Decision(Verdict.FAIL, Check.P99_LIMIT, String.format("canary p99 %.0f ms is over %.0f ms (baseline p99 %.0f ms)",
                        canary.p99Millis(), limit, baseline.p99Millis()), n);
            }
        }
        if (errors.pass() && latencyPass) {
            return new Decision(Verdict.PASS, Check.ERROR_TEST, "sequential test: canary 5xx rate is not above baseline", n);
        }
        return new Decision(Verdict.CONTINUE, Check.NONE, "collecting evidence", n);
    }

    private static Grounds.RateNumbers numbers(RateTest.Result r) {
        RateTest.HostTest w = r.worst();
        Grounds.WorstHost worst = w == null ? null : new Grounds.WorstHost(round(w.p0()), round(w.p1()), w.host(), round(w.expected()),
                w.beforeTrials());
        // the fleet's rate now against before the release: the canary host's own history is scaled by it
        return new Grounds.RateNumbers(worst, round(r.expectedHits()), round(r.z()), round(r.failAt()), round(r.canaryRate()),
                round(r.baselineRate()), round(r.spread()), round(r.drift().factor()), r.baselineHosts(), r.outlierHosts(), r.burstWindows());
    }

    private static Counts total(List<Evidence.HostWindows> hosts) {
        long r = 0;
        long x = 0;
        long l = 0;
        double p99 = 0;
        for (Evidence.HostWindows h : hosts) {
            for (Evidence.Window w : h.windows()) {
                r += w.requests();
                x += w.errors();
                l += w.latencySamples();
                if (w.latencySamples() > 0) p99 = Math.max(p99, w.p99Millis());
            }
        }
        return new Counts(r, x, p99, l);
    }

    /** Per host and window: requests and 5xx, or (with a threshold bucket) latencies and those above the bucket. */
    private static List<RateTest.HostCounts> counts(List<Evidence.HostWindows> hosts, Integer slowerThanBucket) {
        List<RateTest.HostCounts> out = new ArrayList<>(hosts.size());
        for (Evidence.HostWindows h : hosts) {
            long[][] now = windowCounts(h.windows(), slowerThanBucket);
            long[][] before = windowCounts(h.before(), slowerThanBucket);
            out.add(new RateTest.HostCounts(h.host(), now[0], now[1], before[0], before[1]));
        }
        return out;
    }

    private static long[][] windowCounts(List<Evidence.Window> windows, Integer slowerThanBucket) {
        int size = windows.size();
        long[] trials = new long[size];
        long[] hits = new long[size];
        for (int i = 0; i < size; i++) {
            Evidence.Window w = windows.get(i);
            if (slowerThanBucket == null) {
                trials[i] = w.requests();
                hits[i] = w.errors();
            } else {
                long[] b = w.latencyBuckets();
                if (b == null) continue;
                int threshold = Math.min(slowerThanBucket, b.length - 1);
                long fast = 0;
                long slow = 0;
                for (int k = 0; k <= threshold; k++) fast += b[k];
                for (int k = threshold + 1; k < b.length; k++) slow += b[k];
                trials[i] = fast + slow;
                hits[i] = slow;
            }
        }
        return new long[][] {trials, hits};
    }

    /** Requests and errors of a host's last windows: at least {@link #FAIL_FAST_REQUESTS} requests or {@link #FAIL_FAST_WINDOWS} windows. */
    private static long[] recent(List<Evidence.Window> windows) {
        long r = 0;
        long x = 0;
        for (int i = windows.size() - 1, seen = 0; i >= 0 && seen < FAIL_FAST_WINDOWS && r < FAIL_FAST_REQUESTS; i--) {
            Evidence.Window w = windows.get(i);
            if (w.requests() == 0) continue;
            r += w.requests();
            x += w.errors();
            seen++;
        }
        return new long[] {r, x};
    }

    private static boolean histograms(List<Evidence.HostWindows> hosts) {
        boolean any = false;
        for (Evidence.HostWindows h : hosts) {
            for (Evidence.Window w : h.windows()) {
                if (w.latencySamples() > 0 && w.latencyBuckets() == null) return false;
                any |= w.latencyBuckets() != null;
            }
        }
        return any;
    }

    private static long[] pooledHistogram(List<Evidence.HostWindows> hosts) {
        long[] sum = new long[LatencyHistogram.BUCKETS];
        for (Evidence.HostWindows h : hosts) {
            for (Evidence.Window w : h.windows()) {
                if (w.latencyBuckets() == null) continue;
                for (int k = 0; k < sum.length; k++) sum[k] += w.latencyBuckets()[k];
            }
        }
        return sum;
    }

    /** The first bucket at which the histogram's cumulative share reaches q. */
    static int quantileBucket(long[] histogram, long total, double q) {
        long cumulative = 0;
        for (int k = 0; k < histogram.length; k++) {
            cumulative += histogram[k];
            if (cumulative >= q * total) return k;
        }
        return histogram.length - 1;
    }

    /** The one-sided standard normal quantile of a tail probability. */
    private static double zOf(double alpha) {
        return NormalTail.quantile(alpha);
    }

    private static double round(double v) {
        return Math.round(v * 100_000) / 100_000.0;
    }
}
