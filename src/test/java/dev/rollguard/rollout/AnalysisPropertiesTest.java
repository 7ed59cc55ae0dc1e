package dev.rollguard.rollout;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.protocol.LatencyHistogram;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

import static dev.rollguard.rollout.Analysis.Verdict.CONTINUE;
import static dev.rollguard.rollout.Analysis.Verdict.FAIL;
import static dev.rollguard.rollout.Analysis.Verdict.PASS;
import static org.assertj.core.api.Assertions.assertThat;

/** Properties of the judge on random fleets: a worse canary is never judged better, host order is irrelevant, no data decides nothing. */
class AnalysisPropertiesTest {
    private static final AnalysisSettings S = AnalysisSettings.DEFAULT;

    /** PASS < CONTINUE < FAIL: how bad the judge thinks the canary is. */
    private static int severity(Analysis.Verdict v) {
        return v == PASS ? 0 : v == CONTINUE ? 1 : 2;
    }

    private static Evidence.Window window(Random rnd, double rate, double errorRate, double median) {
        long n = rate < 1 ? (rnd.nextDouble() < rate ? 1 : 0) : (long) (rate * (0.8 + 0.4 * rnd.nextDouble()));
        long errors = 0;
        long[] buckets = new long[LatencyHistogram.BUCKETS];
        for (long i = 0; i < n; i++) {
            if (rnd.nextDouble() < errorRate) errors++;
            buckets[LatencyHistogram.bucket(median * Math.exp(0.5 * rnd.nextGaussian()))]++;
        }
        return new Evidence.Window(n, errors, 0, n, n == 0 ? null : buckets);
    }

    private static List<Evidence.Window> windows(Random rnd, int seconds, double rate, double errorRate, double median) {
        List<Evidence.Window> w = new ArrayList<>();
        for (int t = 0; t < seconds; t++) w.add(window(rnd, rate, errorRate, median));
        return w;
    }

    /** A random fleet: 1-3 canary hosts (with history), 0-6 baseline hosts, traffic from 0.5 to 200 req/s, 5xx 0-10 %. */
    private static Evidence fleet(long seed) {
        Random rnd = new Random(seed);
        double rate = rnd.nextBoolean() ? 0.5 + 10 * rnd.nextDouble() : 10 + 190 * rnd.nextDouble();
        double base = rnd.nextInt(4) == 0 ? 0 : 0.02 * rnd.nextDouble();
        double canaryRate = rnd.nextBoolean() ? base : 0.1 * rnd.nextDouble();
        double slow = rnd.nextBoolean() ? 1 : 1 + rnd.nextDouble();
        int seconds = 1 + rnd.nextInt(40);
        List<Evidence.HostWindows> canary = new ArrayList<>();
        for (int i = 0, n = 1 + rnd.nextInt(3); i < n; i++) {
            canary.add(new Evidence.HostWindows("c" + i, windows(rnd, seconds, rate, canaryRate, 40 * slow),
                    rnd.nextBoolean() ? windows(rnd, 60, rate, base, 40) : List.of()));
        }
        List<Evidence.HostWindows> baseline = new ArrayList<>();
        for (int i = 0, n = rnd.nextInt(7); i < n; i++) {
            baseline.add(new Evidence.HostWindows("b" + i, windows(rnd, 60 + seconds, rate, base * (0.5 + rnd.nextDouble()), 40)));
        }
        return new Evidence(canary, baseline);
    }

    /** The canary hosts' windows made worse by f: more errors, or a slower latency distribution. */
    private static Evidence worse(Evidence e, UnaryOperator<Evidence.Window> f) {
        List<Evidence.HostWindows> canary = new ArrayList<>();
        for (Evidence.HostWindows h : e.canary()) canary.add(new Evidence.HostWindows(h.host(), h.windows().stream().map(f).toList(), h.before()));
        return new Evidence(canary, e.baseline());
    }

    /** Without the burst allowance the judge is monotone in every single count: more errors in any second never help. */
    @Property(tries = 300)
    void moreCanaryErrorsAnywhereAreNeverJudgedBetterWithoutBurstAllowance(@ForAll long seed, @ForAll @IntRange(min = 1, max = 50) int percent) {
        AnalysisSettings noBursts = new AnalysisSettings(null, null, null, null, null, null, null, null, null, null, null, 0, null, null,
                null, null, null, null, null);
        Random pick = new Random(seed ^ 0x5DEECE66DL);
        Evidence e = fleet(seed);
        Evidence w = worse(e, x -> pick.nextInt(3) != 0 ? x : moreErrors(x, percent));
        assertThat(severity(Analysis.decide(w, noBursts).verdict())).as("seed %d", seed)
                .isGreaterThanOrEqualTo(severity(Analysis.decide(e, noBursts).verdict()));
    }

    /**
     * With the default burst allowance, more errors in every second are never judged better, except where the judge set
     * seconds aside as a hiccup (errors packed into a few seconds of a minute, or a canary's first seconds measured
     * against its own history): that is the one place where more is not worse, and the decision's numbers say so.
     */
    @Property(tries = 300)
    void moreCanaryErrorsInEverySecondAreNeverJudgedBetter(@ForAll long seed, @ForAll @IntRange(min = 1, max = 50) int percent) {
        Evidence e = fleet(seed);
        Evidence w = worse(e, x -> moreErrors(x, percent));
        assertNotBetterUnlessBursts(e, w, seed);
    }

    private static void assertNotBetterUnlessBursts(Evidence before, Evidence worse, long seed) {
        Analysis.Decision was = Analysis.decide(before, S);
        Analysis.Decision is = Analysis.decide(worse, S);
        if (severity(is.verdict()) >= severity(was.verdict())) return;
        Grounds.Numbers n = is.numbers();
        int setAside = (n.errorTest() == null ? 0 : n.errorTest().burstSecondsSetAside())
                + (n.latency() == null ? 0 : n.latency().slow().burstSecondsSetAside());
        assertThat(setAside).as("seed %d: judged better without setting bursts aside: %s", seed, is).isPositive();
    }

    private static Evidence.Window moreErrors(Evidence.Window x, int percent) {
        return new Evidence.Window(x.requests(), Math.min(x.requests(), x.errors() + (x.requests() * percent + 99) / 100),
                x.p99Millis(), x.latencySamples(), x.latencyBuckets());
    }

    /** Every canary request slower (its histogram shifted up by some buckets): never judged better, bursts aside. */
    @Property(tries = 300)
    void aSlowerCanaryIsNeverJudgedBetter(@ForAll long seed, @ForAll @IntRange(min = 1, max = 8) int buckets) {
        Evidence e = fleet(seed);
        Evidence w = worse(e, x -> {
            if (x.latencyBuckets() == null) return x;
            long[] shifted = new long[LatencyHistogram.BUCKETS];
            for (int b = 0; b < shifted.length; b++) shifted[Math.min(shifted.length - 1, b + buckets)] += x.latencyBuckets()[b];
            return new Evidence.Window(x.requests(), x.errors(), x.p99Millis(), x.latencySamples(), shifted);
        });
        assertNotBetterUnlessBursts(e, w, seed);
    }

    /**
     * A canary host serving exactly what it and every baseline host always served (the same requests and 5xx every
     * second, under the hard ceiling; the same latencies) is never failed, at any traffic and rate.
     */
    @Property(tries = 300)
    void aCanaryExactlyAtTheBaselineRateNeverFails(@ForAll @IntRange(min = 1, max = 500) int requests,
                                                  @ForAll @IntRange(min = 0, max = 49) int perMille, @ForAll @IntRange(min = 1, max = 60) int seconds,
                                                  @ForAll @IntRange(min = 0, max = 9) int baselineHosts, @ForAll boolean history) {
        Assume.that(history || baselineHosts > 0); // with neither, there is no rate to be at
        long errors = (long) requests * perMille / 1000;
        long[] buckets = new long[LatencyHistogram.BUCKETS];
        buckets[LatencyHistogram.bucket(40)] = requests;
        Evidence.Window w = new Evidence.Window(requests, errors, 40, requests, buckets);
        List<Evidence.HostWindows> baseline = new ArrayList<>();
        for (int i = 0; i < baselineHosts; i++) baseline.add(new Evidence.HostWindows("b" + i, Collections.nCopies(60 + seconds, w)));
        Evidence e = new Evidence(List.of(new Evidence.HostWindows("c0", Collections.nCopies(seconds, w),
                history ? Collections.nCopies(120, w) : List.of())), baseline);
        Analysis.Decision d = Analysis.decide(e, S);
        assertThat(d.verdict()).as("%s", d).isNotEqualTo(FAIL);
    }

    /** More errors in every second of the canary may buy it a burst allowance, but never turn a rollback into a pass. */
    @Property(tries = 300)
    void moreErrorsNeverTurnAFailIntoAPass(@ForAll long seed, @ForAll @IntRange(min = 1, max = 50) int percent) {
        Evidence e = fleet(seed);
        Analysis.Decision was = Analysis.decide(e, S);
        if (was.verdict() != FAIL) return;
        Analysis.Decision is = Analysis.decide(worse(e, x -> moreErrors(x, percent)), S);
        assertThat(is.verdict()).as("seed %d: %s", seed, is).isNotEqualTo(PASS);
    }

    @Property(tries = 200)
    void theOrderOfHostsDoesNotMatter(@ForAll long seed) {
        Evidence e = fleet(seed);
        List<Evidence.HostWindows> canary = new ArrayList<>(e.canary());
        List<Evidence.HostWindows> baseline = new ArrayList<>(e.baseline());
        Collections.shuffle(canary, new Random(seed + 1));
        Collections.shuffle(baseline, new Random(seed + 2));
        Analysis.Decision a = Analysis.decide(e, S);
        Analysis.Decision b = Analysis.decide(new Evidence(canary, baseline), S);
        assertThat(b.verdict()).isEqualTo(a.verdict());
        assertThat(b.numbers().errorTest() == null ? null : b.numbers().errorTest().z()).isEqualTo(a.numbers().errorTest() == null ? null : a.numbers().errorTest().z());
    }

    @Property(tries = 200)
    void noCanaryTrafficIsNoDecisionWhateverTheBaseline(@ForAll long seed, @ForAll @IntRange(min = 0, max = 30) int emptyWindows) {
        Evidence e = fleet(seed);
        List<Evidence.Window> empty = new ArrayList<>();
        for (int i = 0; i < emptyWindows; i++) empty.add(new Evidence.Window(0, 0, 0, 0, null));
        Evidence none = new Evidence(List.of(new Evidence.HostWindows("c0", empty, e.canary().get(0).before())), e.baseline());
        Analysis.Decision d = Analysis.decide(none, S);
        assertThat(d.verdict()).isEqualTo(CONTINUE);
        assertThat(d.reason()).isEqualTo("no canary traffic yet");
        assertThat(Analysis.decide(Evidence.EMPTY, S).verdict()).isEqualTo(CONTINUE);
    }
}
