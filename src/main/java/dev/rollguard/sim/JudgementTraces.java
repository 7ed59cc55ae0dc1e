package dev.rollguard.sim;

import dev.rollguard.protocol.LatencyHistogram;
import dev.rollguard.rollout.Evidence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded synthetic releases for the judgement benchmark: per-second windows of one canary host and nine baseline hosts,
 * in the shape agents report them (requests, 5xx, p99, latency histogram). Baseline hosts have {@link #LOOKBACK} seconds
 * of history on the old version before the release, the canary host {@link #HISTORY} seconds of its own, as the server
 * passes them; the canary serves the new version from second 0.
 * Latency is log-normal per host (median 40 ms, σ 0.5: p99 about 130 ms); every request is drawn, so windows carry the
 * sampling noise real ones do.
 */
public final class JudgementTraces {
    /** How far back a canary host's own history on the old version reaches (as the server passes it). */
    public static final int HISTORY = 120;
    /** How far back the baseline hosts' windows reach before the release: the same seconds as the canary's history (Observations). */
    public static final int LOOKBACK = HISTORY;
    /** Two waves' bakes: with the default waves and ten hosts, the first two waves are both this one canary. */
    public static final int SECONDS = 60;
    public static final int HOSTS = 10;
    private static final double SIGMA = 0.5;
    private static final double MEDIAN_MS = 40;

    /** How one host behaves at second t (negative: before the release). */
    private static final class Host {
        double rate = 100;
        double errorRate;
        double median = MEDIAN_MS;
        double sigma = SIGMA;
        /** Per second: extra 5xx rate and latency factor of a hiccup then (index t + HISTORY); null without hiccups. */
        double[] hiccupErrors;
        double[] hiccupSlowdown;
        /** The latency distribution of the last window drawn: most windows draw from the same one (only drift, hiccups and
         *  a regression change it), and tabulating it costs 64 normal CDFs. */
        private Latency latency;

        Latency latency(double median, double sigma) {
            if (latency == null || latency.median != median || latency.sigma != sigma) latency = new Latency(median, sigma);
            return latency;
        }
    }

    /**
     * A log-normal's cumulative probability at each bucket's upper bound, with a guide table (Chen and Asau's indexed
     * search): {@code guide[j]} is the first bucket whose cumulative probability reaches j / GUIDE, where the search for
     * a uniform u in [j / GUIDE, (j + 1) / GUIDE) starts. The same bucket as a binary search over the CDF, in about one
     * step instead of six unpredictable branches; this is the inner loop of every drawn request.
     */
    private static final class Latency {
        private static final int GUIDE = 256;
        final double median;
        final double sigma;
        private final double[] cdf;
        private final int[] guide = new int[GUIDE];

        Latency(double median, double sigma) {
            this.median = median;
            this.sigma = sigma;
            this.cdf = cdf(median, sigma);
            int b = 0;
            for (int j = 0; j < GUIDE; j++) {
                while (b < cdf.length - 1 && cdf[b] < (double) j / GUIDE) b++;
                guide[j] = b;
            }
        }

        /** The first bucket whose cumulative probability reaches u (u in [0, 1)). */
        int bucketOf(double u) {
            int b = guide[(int) (u * GUIDE)];
            while (b < cdf.length - 1 && cdf[b] < u) b++;
            return b;
        }
    }

    /** A hiccup starts on a host on average once every this many seconds, lasts 2-5 s: 5-30 % 5xx, latency x2-5. */
    private static final int HICCUP_EVERY = 300;

    /** The release's shared drift (a compressed diurnal cycle), none by default. */
    private record Drift(double traffic, double latency, double errors, double period, double phase) {
        static final Drift NONE = new Drift(0, 0, 0, 1, 0);

        double at(double amplitude, int t) {
            return 1 + amplitude * Math.sin(2 * Math.PI * (t + phase) / period);
        }
    }

    /** What a regression does to the canary from second {@code from} on. */
    record Regression(double addErrors, double errorFactor, double latencyFactor, double sigmaFactor, int from) {
        static Regression errors(double add, double factor) { return new Regression(add, factor, 1, 1, 0); }

        static Regression latency(double factor, double sigmaFactor) { return new Regression(0, 1, factor, sigmaFactor, 0); }
    }

    public enum Noise { MIXED, HICCUPS, DRIFT, BAD_BASELINE_HOST, LOW_TRAFFIC, HIGH_TRAFFIC, TYPICAL, ZERO_ERRORS }

    /** What issue 18 asks of the judge on a scenario: detection within 1 s (≥ 99 %) or within the default bake (≥ 95 %). */
    public enum Target { NONE, WITHIN_ONE_SECOND, WITHIN_BAKE }

    /** A scenario: the fleet's noise and, for a regression, what changes on the canary. */
    public record Scenario(String name, Noise noise, Regression regression, Target target, int canaries) {
        Scenario(String name, Noise noise, Regression regression, Target target) { this(name, noise, regression, target, 1); }

        Scenario(String name, Noise noise, Regression regression) { this(name, noise, regression, Target.NONE); }

        public boolean healthy() { return regression == null; }
    }

    public static List<Scenario> scenarios() {
        return scenarios(1);
    }

    /**
     * The scenarios with {@code canaries} canary hosts out of the {@link #HOSTS} (the rest the baseline): a regression
     * is on every canary host, and healthy noise draws them as it draws any host.
     */
    public static List<Scenario> scenarios(int canaries) {
        if (canaries < 1 || canaries > HOSTS - 2) throw new IllegalArgumentException("canaries: 1 to " + (HOSTS - 2));
        return scenarioList().stream().map(x -> new Scenario(x.name(), x.noise(), x.regression(), x.target(), canaries)).toList();
    }

    private static List<Scenario> scenarioList() {
        List<Scenario> s = new ArrayList<>();
        s.add(new Scenario("healthy: 5xx 0-2 % differing per host", Noise.MIXED, null));
        s.add(new Scenario("healthy: hosts hiccup 2-5 s", Noise.HICCUPS, null));
        s.add(new Scenario("healthy: diurnal drift", Noise.DRIFT, null));
        s.add(new Scenario("healthy: a bad baseline host", Noise.BAD_BASELINE_HOST, null));
        s.add(new Scenario("healthy: low traffic 1-10 req/s", Noise.LOW_TRAFFIC, null));
        s.add(new Scenario("healthy: 1,000 req/s", Noise.HIGH_TRAFFIC, null));
        s.add(new Scenario("5xx +0.5 pp", Noise.TYPICAL, Regression.errors(0.005, 1)));
        s.add(new Scenario("5xx +1 pp", Noise.TYPICAL, Regression.errors(0.01, 1)));
        s.add(new Scenario("5xx +2 pp", Noise.TYPICAL, Regression.errors(0.02, 1)));
        s.add(new Scenario("5xx +5 pp", Noise.TYPICAL, Regression.errors(0.05, 1)));
        s.add(new Scenario("5xx x2", Noise.TYPICAL, Regression.errors(0, 2), Target.WITHIN_BAKE));
        s.add(new Scenario("5xx x10", Noise.TYPICAL, Regression.errors(0, 10)));
        s.add(new Scenario("total failure", Noise.TYPICAL, Regression.errors(1, 1), Target.WITHIN_ONE_SECOND));
        s.add(new Scenario("p99 +20 % (all requests)", Noise.TYPICAL, Regression.latency(1.2, 1)));
        s.add(new Scenario("p99 +50 % (all requests)", Noise.TYPICAL, Regression.latency(1.5, 1)));
        s.add(new Scenario("p99 x2 (all requests)", Noise.TYPICAL, Regression.latency(2, 1), Target.WITHIN_BAKE));
        s.add(new Scenario("variability x1.5, median held", Noise.TYPICAL, Regression.latency(1, 1.5)));
        s.add(new Scenario("5xx 1 % on a canary, baseline none", Noise.ZERO_ERRORS, Regression.errors(0.01, 1)));
        s.add(new Scenario("5xx x10 from second 30", Noise.TYPICAL, new Regression(0, 10, 1, 1, 30)));
        return s;
    }

    /**
     * One release: hosts 0.. are the canary hosts (windows from second 0, and their history before), the others the
     * baseline (from -LOOKBACK). {@link #canary()} and {@link #canaryBefore()} are the canary hosts' windows added up
     * second by second (the one host's own with a single canary): the comparison judges and the reference see the canary
     * group as one, as Kayenta's and Flagger's queries do.
     */
    public record Trace(List<List<Evidence.Window>> canaries, List<List<Evidence.Window>> canariesBefore,
                        List<List<Evidence.Window>> baseline, List<Evidence.Window> canary, List<Evidence.Window> canaryBefore) {
        Trace(List<List<Evidence.Window>> canaries, List<List<Evidence.Window>> canariesBefore, List<List<Evidence.Window>> baseline) {
            this(canaries, canariesBefore, baseline, pooled(canaries), pooled(canariesBefore));
        }

        /** What the analysis sees {@code t} seconds into the release. */
        public Evidence at(int t) {
            List<Evidence.HostWindows> c = new ArrayList<>(canaries.size());
            for (int i = 0; i < canaries.size(); i++) {
                c.add(new Evidence.HostWindows("c" + i, canaries.get(i).subList(0, t), canariesBefore.get(i)));
            }
            List<Evidence.HostWindows> b = new ArrayList<>(baseline.size());
            for (int i = 0; i < baseline.size(); i++) {
                b.add(new Evidence.HostWindows("b" + (i + 1), baseline.get(i).subList(0, LOOKBACK + t)));
            }
            return new Evidence(c, b);
        }
    }

    /** Hosts' windows added up second by second (requests, 5xx, histograms; p99 read off the sum). */
    static List<Evidence.Window> pooled(List<List<Evidence.Window>> hosts) {
        if (hosts.size() == 1) return hosts.get(0);
        List<Evidence.Window> out = new ArrayList<>(hosts.get(0).size());
        for (int t = 0; t < hosts.get(0).size(); t++) {
            long n = 0;
            long errors = 0;
            long[] buckets = new long[LatencyHistogram.BUCKETS];
            for (List<Evidence.Window> h : hosts) {
                Evidence.Window w = h.get(t);
                n += w.requests();
                errors += w.errors();
                if (w.latencyBuckets() != null) for (int b = 0; b < buckets.length; b++) buckets[b] += w.latencyBuckets()[b];
            }
            out.add(new Evidence.Window(n, errors, n == 0 ? 0 : quantile(buckets, n, 0.99), n, n == 0 ? null : buckets));
        }
        return out;
    }

    public static Trace generate(Scenario s, SplittableRandom rnd) {
        Host[] hosts = new Host[HOSTS];
        for (int i = 0; i < HOSTS; i++) {
            Host h = new Host();
            switch (s.noise()) {
                case TYPICAL -> {
                    h.errorRate = uniform(rnd, 0.008, 0.012);
                    h.median = MEDIAN_MS * uniform(rnd, 0.95, 1.05);
                }
                case ZERO_ERRORS -> h.median = MEDIAN_MS * uniform(rnd, 0.95, 1.05);
                default -> {
                    h.errorRate = uniform(rnd, 0, 0.02);
                    h.median = MEDIAN_MS * uniform(rnd, 0.9, 1.1);
                }
            }
            if (s.noise() == Noise.LOW_TRAFFIC) h.rate = uniform(rnd, 1, 10);
            if (s.noise() == Noise.HIGH_TRAFFIC) h.rate = 1000;
            if (s.noise() == Noise.HICCUPS) {
                h.hiccupErrors = new double[HISTORY + SECONDS];
                h.hiccupSlowdown = new double[HISTORY + SECONDS];
                Arrays.fill(h.hiccupSlowdown, 1);
                for (int t = 0; t < HISTORY + SECONDS; t++) {
                    if (rnd.nextInt(HICCUP_EVERY) != 0) continue;
                    int length = 2 + rnd.nextInt(4);
                    double errors = uniform(rnd, 0.05, 0.3);
                    double slowdown = uniform(rnd, 2, 5);
                    for (int k = t; k < Math.min(t + length, HISTORY + SECONDS); k++) {
                        h.hiccupErrors[k] = errors;
                        h.hiccupSlowdown[k] = slowdown;
                    }
                }
            }
            hosts[i] = h;
        }
        int c = s.canaries();
        if (s.noise() == Noise.BAD_BASELINE_HOST) {
            hosts[c].errorRate = uniform(rnd, 0.1, 0.2);
            hosts[c].median *= 1.5;
        }
        Drift drift = s.noise() == Noise.DRIFT ? new Drift(0.3, 0.1, 0.3, 600, rnd.nextInt(600)) : Drift.NONE;
        List<List<Evidence.Window>> canaries = new ArrayList<>(c);
        List<List<Evidence.Window>> canariesBefore = new ArrayList<>(c);
        for (int i = 0; i < c; i++) {
            List<Evidence.Window> before = new ArrayList<>(HISTORY);
            for (int t = -HISTORY; t < 0; t++) before.add(window(hosts[i], null, drift, t, rnd));
            List<Evidence.Window> canary = new ArrayList<>(SECONDS);
            for (int t = 0; t < SECONDS; t++) canary.add(window(hosts[i], s.regression(), drift, t, rnd));
            canariesBefore.add(before);
            canaries.add(canary);
        }
        List<List<Evidence.Window>> baseline = new ArrayList<>();
        for (int i = c; i < HOSTS; i++) {
            List<Evidence.Window> w = new ArrayList<>(LOOKBACK + SECONDS);
            for (int t = -LOOKBACK; t < SECONDS; t++) w.add(window(hosts[i], null, drift, t, rnd));
            baseline.add(w);
        }
        return new Trace(canaries, canariesBefore, baseline);
    }

    private static Evidence.Window window(Host h, Regression r, Drift d, int t, SplittableRandom rnd) {
        double p = h.errorRate * d.at(d.errors(), t);
        double median = h.median * d.at(d.latency(), t);
        double sigma = h.sigma;
        if (h.hiccupErrors != null) {
            p += h.hiccupErrors[t + HISTORY];
            median *= h.hiccupSlowdown[t + HISTORY];
        }
        if (r != null && t >= r.from()) {
            p = p * r.errorFactor() + r.addErrors();
            median *= r.latencyFactor();
            sigma *= r.sigmaFactor();
        }
        p = Math.min(1, p);
        long n = poisson(rnd, h.rate * d.at(d.traffic(), t));
        long errors = 0;
        long[] buckets = new long[LatencyHistogram.BUCKETS];
        Latency latency = h.latency(median, sigma);
        for (long i = 0; i < n; i++) {
            if (rnd.nextDouble() < p) errors++;
            buckets[latency.bucketOf(rnd.nextDouble())]++;
        }
        return new Evidence.Window(n, errors, n == 0 ? 0 : quantile(buckets, n, 0.99), n, n == 0 ? null : buckets);
    }

    /** Cumulative probability of a log-normal at each bucket's upper bound. */
    private static double[] cdf(double median, double sigma) {
        double[] c = new double[LatencyHistogram.BUCKETS];
        for (int b = 0; b < c.length; b++) {
            double upper = LatencyHistogram.upperMillis(b);
            c[b] = Double.isInfinite(upper) ? 1 : phi(Math.log(upper / median) / sigma);
        }
        return c;
    }

    /** A quantile read off a histogram, interpolated inside its bucket (as a metrics system's histogram_quantile does). */
    public static double quantile(long[] buckets, long total, double q) {
        double rank = q * total;
        long cumulative = 0;
        for (int b = 0; b < buckets.length; b++) {
            if (buckets[b] == 0) continue;
            if (cumulative + buckets[b] >= rank) {
                double lower = b == 0 ? 0 : LatencyHistogram.upperMillis(b - 1);
                double upper = Double.isInfinite(LatencyHistogram.upperMillis(b)) ? lower * 2 : LatencyHistogram.upperMillis(b);
                return lower + (upper - lower) * (rank - cumulative) / buckets[b];
            }
            cumulative += buckets[b];
        }
        return 0;
    }

    private static double uniform(SplittableRandom rnd, double lo, double hi) {
        return lo + (hi - lo) * rnd.nextDouble();
    }

    private static long poisson(SplittableRandom rnd, double mean) {
        if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rnd)));
        double limit = Math.exp(-mean);
        double prod = rnd.nextDouble();
        long k = 0;
        while (prod > limit) {
            prod *= rnd.nextDouble();
            k++;
        }
        return k;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = Math.max(1e-300, rnd.nextDouble());
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /** Standard normal CDF (Abramowitz-Stegun 26.2.17, error < 7.5e-8): enough for drawing latencies. */
    private static double phi(double x) {
        if (x < -8) return 0;
        if (x > 8) return 1;
        double t = 1 / (1 + 0.2316419 * Math.abs(x));
        double poly = t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
        double upper = Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI) * poly;
        return x >= 0 ? 1 - upper : upper;
    }
}
