package dev.rollguard.rollout;

import org.apache.commons.math3.special.Beta;
import org.apache.commons.math3.special.Gamma;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One group-sequential test of a per-request rate (5xx, or requests slower than a latency threshold) of the canary
 * against what is expected of it (its own history, the baseline hosts, the fleet's drift), looked at every second with
 * the boundaries of {@link AlphaSpending}. Pure arithmetic on counts; {@link Analysis} decides what to test and words
 * the decision.
 *
 * <p>Three things make it hold on real fleets rather than on textbook samples:
 * <ul>
 *   <li><b>bursts</b>: a host's windows whose count is wildly improbable under the host's own rate elsewhere (a 2-5 s
 *   hiccup) are set aside, at most {@code burstSeconds} per minute of its windows, on the canary and the baseline alike. A regression
 *   that persists outlives the allowance; total failure is caught before this by the fail-fast guard;</li>
 *   <li><b>heterogeneous baselines</b>: the baseline rate is pooled over the baseline hosts that agree with their
 *   median (a broken baseline host is left out, by the median absolute deviation), and the null hypothesis allows the
 *   canary host the fleet's rate only as far as the spread between healthy hosts allows (its own history counts more);
 *   {@code hostSpread} adds a margin of that many standard errors to H0 (0 for 5xx by default: the estimate's
 *   uncertainty is already in the test's variance; the latency test keeps 2, a slow share moving with more than
 *   sampling noise);</li>
 *   <li><b>drift</b>: a daily cycle or a shared dependency moves every host's rate; the canary host's own history (from
 *   before the release) is scaled by how far the healthy baseline hosts moved since then, so a fleet-wide rise is no
 *   canary regression and a fleet-wide fall no cover for one;</li>
 *   <li><b>zero and low counts</b>: no rate is taken below {@code floor}, so a baseline without a single error still
 *   yields a finite, honest H0; and the count's tail is exact (a negative binomial: Poisson counts around an expected
 *   rate that is itself an estimate), so a handful of canary requests with one error is no evidence, where a normal
 *   approximation would call it one.</li>
 * </ul>
 */
final class RateTest {
    /**
     * A window whose count is this improbable under its host's own rate (e^-5 = 0.7 %, Chernoff bound) is a burst. Not
     * rarer: a mild hiccup (a few seconds at 5 % 5xx on a 1 % host) is e^-4 to e^-6 a second, and left in it was the
     * judge's main source of false rollbacks; a regression that persists is no burst at any threshold (its seconds are
     * probable under its own rate), so only the allowance of seconds per minute bounds what this may hide.
     */
    private static final double BURST_SURPRISE_NATS = 5;
    /** A host is an outlier when this many robust deviations from the hosts' median. */
    private static final double OUTLIER_DEVIATIONS = 4;
    /** The fleet's drift is shrunk towards none by this many hits' worth of evidence. */
    private static final double DRIFT_PRIOR_HITS = 30;

    /** Per host: trials and hits of each window, oldest first; for a canary host also of its windows before the release. */
    record HostCounts(String host, long[] trials, long[] hits, long[] beforeTrials, long[] beforeHits) {
        HostCounts(String host, long[] trials, long[] hits) {
            this(host, trials, hits, new long[0], new long[0]);
        }
    }

    /**
     * The test's settings: {@code alpha} is the false-alarm budget over the whole rollout, spent a bake of {@code horizon}
     * seconds at a time ({@link AlphaSpending}, {@code firstShare} of it in the first bake).
     */
    record Params(double floor, double ratio, double delta, int burstSeconds, double hostSpread, double alpha, double beta,
                  int horizon, double firstShare) {}

    /** The test of one canary host: its own expected rate (from its history and the fleet), H0 and H1, and the evidence. */
    /**
     * The test of one canary host: its own expected rate (from its history and the fleet) and that estimate's standard
     * error, H0 (the expected rate, plus {@code hostSpread} standard errors) and H1, and the evidence.
     */
    record HostTest(String host, long trials, long hits, long beforeTrials, double expected, double se, double ownSe, double p0, double p1) {
        /** How many hits H0 expects of this host's trials. */
        double mean() { return trials * p0; }

        /**
         * The variance H0's expected count owes to this host's own estimate of its rate (its history and the fleet's
         * level), not to sampling nor to the fleet's drift: the drift is one estimate shared by every canary host
         * ({@link #run} adds its variance once, over their summed expectation).
         */
        double ownVariance() { return (double) trials * trials * ownSe * ownSe; }
    }

    /**
     * The canary hosts' hits against what H0 expects of them: {@code z} is the standardised evidence (the upper tail
     * probability of the hits seen, as a normal quantile), failing at or over {@code failAt}, the group-sequential
     * boundary of this look; {@code pass} once the hits are improbably few for H1 (probability at most beta).
     */
    record Result(long canaryTrials, long canaryHits, long baselineTrials, long baselineHits, int baselineHosts,
                  List<String> outlierHosts, double spread, int burstWindows, List<HostTest> hosts, double expectedHits,
                  double z, double failAt, boolean pass, Drift drift) {
        boolean fail() { return z >= failAt; }

        double canaryRate() { return canaryTrials == 0 ? 0 : (double) canaryHits / canaryTrials; }

        double baselineRate() { return baselineTrials == 0 ? 0 : (double) baselineHits / baselineTrials; }

        /** The canary host that is furthest over what H0 expects of it (the one a person reads first). */
        HostTest worst() {
            HostTest w = null;
            for (HostTest h : hosts) if (w == null || h.hits() - h.mean() > w.hits() - w.mean()) w = h;
            return w;
        }
    }

    private RateTest() {}

    /** The test at look {@code look}: the seconds the canary has been judged (the boundary depends on it). */
    static Result run(List<HostCounts> canary, List<HostCounts> baseline, Params p, int look) {
        int bursts = 0;
        // the canary's windows are its last seconds; the baseline hosts' last as many windows are the same seconds (windows
        // are one a second and end now on every host), their earlier ones the seconds before the release
        int recent = 0;
        for (HostCounts h : canary) recent = Math.max(recent, h.trials().length);
        int thenWindows = 0;
        List<String> names = new ArrayList<>();
        List<long[]> hosts = new ArrayList<>();
        for (HostCounts h : baseline) {
            boolean[] burst = new boolean[h.trials().length];
            long[] c = clean(h.trials(), h.hits(), 0, false, p, burst);
            bursts += (int) c[2];
            if (c[0] > 0) {
                long[] split = split(h.trials(), h.hits(), burst, recent);
                hosts.add(new long[] {c[0], c[1], split[0], split[1], split[2], split[3]});
                thenWindows = Math.max(thenWindows, h.trials().length - recent);
                names.add(h.host());
            }
        }
        // the robust centre and spread of the baseline hosts' rates; hosts far outside are not the baseline
        double[] rates = hosts.stream().mapToDouble(c -> (double) c[1] / c[0]).toArray();
        double median = median(rates);
        double[] dev = Arrays.stream(rates).map(r -> Math.abs(r - median)).toArray();
        double mad = 1.4826 * median(dev);
        long bn = 0;
        long bx = 0;
        long[] trend = new long[4];
        List<double[]> inliers = new ArrayList<>();
        List<String> outliers = new ArrayList<>();
        double m = Math.max(median, p.floor());
        for (int i = 0; i < hosts.size(); i++) {
            long[] c = hosts.get(i);
            double noise = Math.sqrt(m * (1 - m) / c[0]);
            // only a host that is broken by the test's own measure (worse than H1 would be against the median) is left out:
            // hosts that merely differ are the spread the canary is allowed
            if (rates[i] - median > OUTLIER_DEVIATIONS * Math.max(mad, noise) && rates[i] > p.ratio() * m + p.delta()) {
                outliers.add(names.get(i));
                continue;
            }
            bn += c[0];
            bx += c[1];
            for (int k = 0; k < 4; k++) trend[k] += c[2 + k];
            inliers.add(new double[] {c[0], rates[i]});
        }
        double pooled = bn == 0 ? 0 : (double) bx / bn;
        double spread = 0;
        if (inliers.size() >= 2) {
            double between = 0;
            double sampling = 0;
            for (double[] h : inliers) {
                between += (h[1] - pooled) * (h[1] - pooled);
                sampling += Math.max(pooled, p.floor()) * (1 - pooled) / h[0];
            }
            spread = Math.sqrt(Math.max(0, between / (inliers.size() - 1) - sampling / inliers.size()));
        }
        Drift drift = drift(trend, thenWindows, p.floor());
        long cn = 0;
        long cx = 0;
        List<HostTest> tests = new ArrayList<>();
        for (HostCounts h : canary) {
            long[] before = clean(h.beforeTrials(), h.beforeHits(), 0, false, p, null);
            bursts += (int) before[2];
            double own = before[0] == 0 ? 0 : (double) before[1] / before[0];
            long[] now = clean(h.trials(), h.hits(), Math.max(pooled, own) * drift.factor(), before[0] > 0, p, null);
            bursts += (int) now[2];
            tests.add(hostTest(h.host(), now, before, pooled, bn, spread, drift, p));
            cn += now[0];
            cx += now[1];
        }
        double mean = 0;
        double extra = 0;
        double drifted = 0;
        double h1 = 0;
        for (HostTest t : tests) {
            mean += t.mean();
            extra += t.ownVariance();
            drifted += t.trials() * t.expected();
            h1 += t.trials() * t.p1();
        }
        // the drift's error moves every canary host's expectation together: counted per host (as independent) it was
        // halved with two canary hosts, and healthy two-canary releases on a daily cycle went over the false-rollback budget
        extra += drifted * drifted * drift.relativeVariance();
        double z = cx == 0 ? Z_NONE : zOf(upperTail(cx, mean, extra));
        boolean pass = cn > 0 && Gamma.regularizedGammaQ(cx + 1, Math.max(h1, 1e-12)) <= p.beta();
        double failAt = AlphaSpending.of(p.alpha(), p.horizon(), p.firstShare()).boundary(look);
        return new Result(cn, cx, bn, bx, inliers.size(), outliers, spread, bursts, tests, mean, z, failAt, pass, drift);
    }

    /** z of no hits at all: never a failure. */
    private static final double Z_NONE = -10;

    /**
     * P(X >= x) for the canary's hits under H0: Poisson with the expected count {@code mean}, that mean itself uncertain by
     * {@code extra} (its estimate's variance, in hits squared): a gamma mixture of Poissons, the negative binomial with
     * that mean and variance. Exact at the few hits of low traffic, where a normal approximation fails healthy canaries.
     */
    static double upperTail(long x, double mean, double extra) {
        if (x <= 0) return 1;
        double m = Math.max(mean, 1e-12);
        if (extra <= 1e-12 * m) return Gamma.regularizedGammaP(x, m);
        double size = m * m / extra;
        return Beta.regularizedBeta(m / (size + m), x, size);
    }

    /** The upper tail probability as a standard normal quantile, within [-10, 40] (a probability of 0 is far past any boundary). */
    static double zOf(double tail) {
        if (tail <= 0) return 40;
        if (tail >= 1) return Z_NONE;
        return Math.max(Z_NONE, Math.min(NormalTail.FAR, NormalTail.quantile(tail)));
    }

    /**
     * How the healthy fleet's rate moved between the seconds before the release and the canary's seconds (a daily cycle,
     * a traffic shift): their ratio, shrunk towards 1 by {@link #DRIFT_PRIOR_HITS} hits' worth so that a few seconds'
     * noise is no trend, with the relative variance of that estimate. No trend without both periods.
     */
    record Drift(double factor, double relativeVariance, int thenWindows, double thenRate) {
        static final Drift NONE = new Drift(1, 0, 0, 0);
    }

    /** {then trials, then hits, recent trials, recent hits} summed over the fleet, and the windows before the canary's. */
    private static Drift drift(long[] trend, int thenWindows, double floor) {
        if (trend[0] == 0 || trend[2] == 0) return Drift.NONE;
        double then = Math.max(floor, (double) trend[1] / trend[0]);
        double expectedRecent = trend[2] * then;
        double factor = (trend[3] + DRIFT_PRIOR_HITS) / (expectedRecent + DRIFT_PRIOR_HITS);
        double variance = 1.0 / (trend[3] + DRIFT_PRIOR_HITS) + 1.0 / Math.max(trend[1], DRIFT_PRIOR_HITS);
        return new Drift(factor, variance, thenWindows, (double) trend[1] / trend[0]);
    }

    /**
     * H0 for one canary host: the rate it had before the release, estimated from its own history shrunk towards the
     * fleet (a beta prior with the fleet's mean and between-host spread: the fewer its own requests, the more the
     * fleet counts), plus {@code hostSpread} standard errors of that estimate. Without history, that is the fleet's rate
     * plus {@code hostSpread} between-host deviations; with identical hosts, the fleet's rate plus its sampling error.
     */
    private static HostTest hostTest(String host, long[] now, long[] before, double pooled, long bn, double spread, Drift drift,
                                     Params p) {
        double mean = bn == 0 ? 0 : drift.thenWindows() > 0 ? drift.thenRate() : pooled;
        // the fleet counts as much as the spread between hosts allows, never more than the host's own history (a spread
        // estimated too small from a few hosts must not erase what this host was like)
        double prior = spread > 0 ? Math.min(bn, Math.max(mean, p.floor()) * (1 - mean) / (spread * spread)) : bn;
        if (before[0] > 0) prior = Math.min(prior, before[0]);
        double weight = before[0] + prior;
        double then = weight == 0 ? 0 : (before[1] + prior * mean) / weight;
        double expected = Math.min(0.5, then * drift.factor());
        // the standard error of that estimate: its own counts' and the drift's
        double own = weight == 0 ? 0 : drift.factor() * drift.factor() * Math.max(then, p.floor() / 10) * (1 - then) / weight;
        double se = Math.sqrt(own + (weight == 0 ? 0 : expected * expected * drift.relativeVariance()));
        double p0 = Math.min(0.5, Math.max(p.floor(), expected + p.hostSpread() * se));
        double p1 = Math.min(0.99, Math.max(Math.max(p.ratio() * expected, expected + p.delta()), 1.25 * p0));
        return new HostTest(host, now[0], now[1], before[0], expected, se, Math.sqrt(own), p0, p1);
    }

    /** {trials, hits} of the windows before the last {@code recent}, then of the last {@code recent}; bursts left out. */
    private static long[] split(long[] trials, long[] hits, boolean[] burst, int recent) {
        long[] out = new long[4];
        int from = trials.length - recent;
        for (int i = 0; i < trials.length; i++) {
            if (burst[i]) continue;
            int k = i < from ? 0 : 2;
            out[k] += trials[i];
            out[k + 1] += hits[i];
        }
        return out;
    }

    /**
     * {trials, hits, burst windows set aside} of one host. The candidates are its windows of highest rate, {@code
     * burstSeconds} per minute of windows; one is a burst when its count is wildly improbable under the rate of the host's other windows, or under
     * {@code reference} (the host's history, the fleet) when that is higher: a host's first seconds have no "other
     * windows" of their own. Without {@code history}, one window always stays.
     */
    static long[] clean(long[] trials, long[] hits, double reference, boolean history, Params p, boolean[] setAside) {
        long n = 0;
        long x = 0;
        for (int i = 0; i < trials.length; i++) {
            n += trials[i];
            x += hits[i];
        }
        // a host's only window is its total, never a burst, unless the host's history says what its normal seconds are like
        int k = Math.min(trials.length - (history ? 0 : 1), p.burstSeconds() * (int) Math.ceil(trials.length / 60.0));
        if (k <= 0 || x == 0) return new long[] {n, x, 0};
        int[] order = highestRates(trials, hits, k);
        long restN = n;
        long restX = x;
        for (int j = 0; j < k; j++) {
            restN -= trials[order[j]];
            restX -= hits[order[j]];
        }
        double q = Math.max(p.floor(), Math.max(reference, restN == 0 ? 0 : (double) restX / restN));
        int bursts = 0;
        for (int j = 0; j < k; j++) {
            long wn = trials[order[j]];
            long wx = hits[order[j]];
            if (wn == 0 || (double) wx / wn <= q) break;
            if (wn * kl((double) wx / wn, q) < BURST_SURPRISE_NATS) break;
            n -= wn;
            x -= wx;
            bursts++;
            if (setAside != null) setAside[order[j]] = true;
        }
        return new long[] {n, x, bursts};
    }

    /**
     * The {@code k} windows of highest rate, highest first, the earlier of equal rates first (a stable sort's first k; a
     * window without trials ranks last). Only the first k are ever read, so they are selected, not all sorted: this runs
     * on every host at every look.
     */
    static int[] highestRates(long[] trials, long[] hits, int k) {
        double[] rate = new double[trials.length];
        for (int i = 0; i < rate.length; i++) rate[i] = trials[i] == 0 ? -1 : (double) hits[i] / trials[i];
        int[] top = new int[k];
        int size = 0;
        for (int i = 0; i < rate.length; i++) {
            if (size == k && !(rate[i] > rate[top[k - 1]])) continue;
            int at = size < k ? size++ : k - 1;
            while (at > 0 && rate[i] > rate[top[at - 1]]) {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = i;
        }
        return top;
    }

    /** Kullback-Leibler divergence of Bernoulli(a) from Bernoulli(b): the Chernoff exponent of seeing a where b holds. */
    static double kl(double a, double b) {
        double v = 0;
        if (a > 0) v += a * Math.log(a / b);
        if (a < 1) v += (1 - a) * Math.log((1 - a) / (1 - b));
        return v;
    }

    /** Wilson score lower bound at z. */
    static double wilsonLower(long x, long n, double z) {
        if (n == 0) return 0;
        double ph = (double) x / n;
        double z2 = z * z;
        return Math.max(0, (ph + z2 / (2 * n) - z * Math.sqrt(ph * (1 - ph) / n + z2 / (4.0 * n * n))) / (1 + z2 / n));
    }

    static double median(double[] v) {
        if (v.length == 0) return 0;
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
