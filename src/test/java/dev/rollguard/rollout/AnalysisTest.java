package dev.rollguard.rollout;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.health.Counts;
import dev.rollguard.protocol.LatencyHistogram;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.rollguard.rollout.Analysis.Verdict.CONTINUE;
import static dev.rollguard.rollout.Analysis.Verdict.FAIL;
import static dev.rollguard.rollout.Analysis.Verdict.PASS;
import static org.assertj.core.api.Assertions.assertThat;

class AnalysisTest {
    private static final AnalysisSettings S = AnalysisSettings.DEFAULT;

    @Test
    void everyRequestFailingIsCaughtByTheCeilingAlmostAtOnce() {
        Analysis.Decision d = Analysis.decide(new Counts(5, 5, 0, 0), new Counts(1000, 1, 0, 0), S);
        assertThat(d.verdict()).isEqualTo(FAIL);
        assertThat(d.reason()).contains("over the 5.00% ceiling");
        assertThat(d.numbers().totals().canaryErrors()).isEqualTo(5L);
        assertThat(Analysis.decide(new Counts(4, 4, 0, 0), new Counts(1000, 1, 0, 0), S).verdict())
                .as("fewer than minErrorCount errors: not yet the ceiling, but the sequential test").isEqualTo(FAIL);
    }

    @Test
    void healthyCanaryPassesAfterEnoughEvidenceAndNotBefore() {
        assertThat(Analysis.decide(new Counts(10, 0, 0, 0), new Counts(1000, 1, 0, 0), S).verdict()).isEqualTo(CONTINUE);
        assertThat(Analysis.decide(new Counts(3000, 1, 0, 0), new Counts(3000, 1, 0, 0), S).verdict()).isEqualTo(PASS);
    }

    @Test
    void modestRegressionFailsByTheSequentialTestNotByCeiling() {
        // baseline 0.5%, canary 3%: under the 5% ceiling, clearly worse
        Analysis.Decision d = Analysis.decide(new Counts(2000, 60, 0, 0), new Counts(20000, 100, 0, 0), S);
        assertThat(d.verdict()).isEqualTo(FAIL);
        assertThat(d.reason()).startsWith("sequential test");
        assertThat(d.check()).isEqualTo(Analysis.Check.ERROR_TEST);
        assertThat(d.numbers().errorTest().z()).isGreaterThanOrEqualTo(d.numbers().errorTest().zFailAt());
    }

    @Test
    void latencyRegression() {
        Analysis.Decision d = Analysis.decide(new Counts(5000, 0, 900, 5000), new Counts(5000, 0, 100, 5000), S);
        assertThat(d.verdict()).isEqualTo(FAIL);
        assertThat(d.reason()).contains("p99 900 ms");
        assertThat(Analysis.decide(new Counts(5000, 0, 120, 5000), new Counts(5000, 0, 100, 5000), S).verdict()).isEqualTo(PASS);
        assertThat(Analysis.decide(new Counts(50, 0, 900, 50), new Counts(5000, 0, 100, 5000), S).verdict())
                .as("too few samples for a latency verdict").isNotEqualTo(FAIL);
    }

    /** False alarms stay rare: a canary exactly as good as its baseline is failed well under 2α of the time. */
    @Property(tries = 20)
    void falseAlarmRateIsBounded(@ForAll @IntRange(min = 1, max = 1000) int seed) {
        Random rnd = new Random(seed);
        int alarms = 0;
        for (int trial = 0; trial < 100; trial++) {
            long n = 0;
            long errors = 0;
            Analysis.Verdict v = CONTINUE;
            while (v == CONTINUE && n < 100_000) {
                for (int i = 0; i < 100; i++) {
                    n++;
                    if (rnd.nextDouble() < 0.002) errors++;
                }
                v = Analysis.decide(new Counts(n, errors, 0, 0), new Counts(100_000, 200, 0, 0), S).verdict();
            }
            if (v == FAIL) alarms++;
        }
        assertThat(alarms).isLessThanOrEqualTo(6);
    }

    /** Per-second windows of one host: {@code seconds} windows of {@code requests} with {@code errors} each. */
    private static List<Evidence.Window> steady(int seconds, long requests, long errors) {
        List<Evidence.Window> w = new ArrayList<>();
        for (int i = 0; i < seconds; i++) w.add(new Evidence.Window(requests, errors, 0, 0, null));
        return w;
    }

    private static List<Evidence.HostWindows> baseline(int hosts, int seconds, long requests, long errors) {
        List<Evidence.HostWindows> b = new ArrayList<>();
        for (int i = 0; i < hosts; i++) b.add(new Evidence.HostWindows("b" + i, steady(seconds, requests, errors)));
        return b;
    }

    @Test
    void totalFailureIsCaughtInTheFirstReport() {
        Evidence e = new Evidence(List.of(new Evidence.HostWindows("c0", steady(1, 100, 100))), baseline(9, 60, 100, 1));
        Analysis.Decision d = Analysis.decide(e, S);
        assertThat(d.verdict()).isEqualTo(FAIL);
        assertThat(d.numbers().totals().canaryErrors()).isEqualTo(100L);
    }

    @Test
    void aHiccupOfAFewSecondsIsSetAsideButTheSameRateKeptUpFails() {
        List<Evidence.Window> hiccup = steady(30, 100, 1);
        for (int t = 10; t < 14; t++) hiccup.set(t, new Evidence.Window(100, 20, 0, 0, null));
        Analysis.Decision d = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", hiccup, steady(60, 100, 1))),
                baseline(9, 90, 100, 1)), S);
        assertThat(d.verdict()).isNotEqualTo(FAIL);
        assertThat(d.numbers().errorTest().burstSecondsSetAside()).isEqualTo(4);

        // kept up past the allowance (burstSeconds, 10 per minute of windows): no hiccup
        List<Evidence.Window> kept = steady(30, 100, 1);
        for (int t = 10; t < 10 + S.burstSeconds() + 3; t++) kept.set(t, new Evidence.Window(100, 20, 0, 0, null));
        assertThat(Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", kept, steady(60, 100, 1))),
                baseline(9, 90, 100, 1)), S).verdict()).isEqualTo(FAIL);
    }

    @Test
    void aBrokenBaselineHostIsLeftOutAndSaysSo() {
        List<Evidence.HostWindows> b = baseline(8, 90, 100, 1);
        b.add(new Evidence.HostWindows("broken", steady(90, 100, 30)));
        // canary at 2 %: twice the healthy hosts, far under a mean dragged up by the broken host
        Analysis.Decision d = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", steady(60, 100, 2), steady(60, 100, 1))), b), S);
        assertThat(d.verdict()).isEqualTo(FAIL);
        assertThat(d.numbers().errorTest().baselineHostsLeftOut()).isEqualTo(List.of("broken"));
    }

    @Test
    void aHostThatAlwaysHadMoreErrorsIsJudgedAgainstItself() {
        // the canary host ran at 2 % before the release and still does; the other hosts are at 0.5 %
        Evidence e = new Evidence(List.of(new Evidence.HostWindows("c0", steady(60, 100, 2), steady(120, 100, 2))),
                List.of(new Evidence.HostWindows("b0", steady(90, 100, 0)), new Evidence.HostWindows("b1", steady(90, 100, 1)),
                        new Evidence.HostWindows("b2", steady(90, 100, 1)), new Evidence.HostWindows("b3", steady(90, 100, 0))));
        assertThat(Analysis.decide(e, S).verdict()).isNotEqualTo(FAIL);
    }

    @Test
    void aBaselineWithoutErrorsStillGivesAFiniteTest() {
        Analysis.Decision clean = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", steady(30, 100, 0))),
                baseline(9, 90, 100, 0)), S);
        assertThat(clean.verdict()).isEqualTo(PASS);
        assertThat(clean.numbers().errorTest().worst().p0()).isGreaterThan(0);
        Analysis.Decision errors = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", steady(30, 100, 1))),
                baseline(9, 90, 100, 0)), S);
        assertThat(errors.verdict()).isEqualTo(FAIL);
        assertThat(errors.reason()).startsWith("sequential test");
    }

    @Test
    void latencyIsJudgedOnTheDistributionWhenHistogramsCome() {
        Random rnd = new Random(7);
        List<Evidence.HostWindows> b = new ArrayList<>();
        for (int i = 0; i < 5; i++) b.add(new Evidence.HostWindows("b" + i, latencies(rnd, 90, 40, 0.5)));
        Analysis.Decision same = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", latencies(rnd, 30, 40, 0.5))), b), S);
        assertThat(same.verdict()).isNotEqualTo(FAIL);
        assertThat(same.numbers().latency()).isNotNull();
        // the median held, the spread grew: more requests past the baseline's p95
        Analysis.Decision wider = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", latencies(rnd, 30, 40, 0.8))), b), S);
        assertThat(wider.verdict()).isEqualTo(FAIL);
        assertThat(wider.reason()).contains("slower than");
    }

    @Test
    void latencyUnderTheSlackIsNeverARegression() {
        // a sub-millisecond baseline and a canary with cold caches after its restart: 3 ms is not slow for anyone
        Random rnd = new Random(11);
        List<Evidence.HostWindows> b = new ArrayList<>();
        for (int i = 0; i < 5; i++) b.add(new Evidence.HostWindows("b" + i, latencies(rnd, 90, 0.5, 0.5)));
        Analysis.Decision warmer = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", latencies(rnd, 30, 3, 0.5))), b), S);
        assertThat(warmer.verdict()).isNotEqualTo(FAIL);
        assertThat(warmer.numbers().latency().thresholdMs()).isGreaterThanOrEqualTo(S.latencySlackMillis());
        Analysis.Decision slow = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", latencies(rnd, 30, 200, 0.5))), b), S);
        assertThat(slow.verdict()).isEqualTo(FAIL);
    }

    @Test
    void aFleetWideRiseSinceTheReleaseIsNoCanaryRegressionButTheCanaryRisingAloneIs() {
        // the canary host ran at 1 % for 120 s; since the release every host, old version and new, serves 2 % (a daily
        // cycle, a shared dependency): judged against its own history alone, the canary looked like a x2 regression
        List<Evidence.Window> fleetRose = new ArrayList<>(steady(60, 100, 1));
        fleetRose.addAll(steady(30, 100, 2));
        List<Evidence.HostWindows> rose = new ArrayList<>();
        for (int i = 0; i < 9; i++) rose.add(new Evidence.HostWindows("b" + i, fleetRose));
        Analysis.Decision withFleet = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", steady(30, 100, 2),
                steady(120, 100, 1))), rose), S);
        // judged against its own 1 % alone the canary was held (no pass) and close to a rollback; with the fleet's drift it passes
        assertThat(withFleet.verdict()).isEqualTo(PASS);
        assertThat(withFleet.numbers().errorTest().fleetDrift()).isGreaterThan(1.5);
        Analysis.Decision alone = Analysis.decide(new Evidence(List.of(new Evidence.HostWindows("c0", steady(30, 100, 2),
                steady(120, 100, 1))), baseline(9, 90, 100, 1)), S);
        assertThat(alone.verdict()).isEqualTo(FAIL);
        assertThat(alone.numbers().errorTest().fleetDrift()).isEqualTo(1.0);
    }

    private static List<Evidence.Window> latencies(Random rnd, int seconds, double median, double sigma) {
        List<Evidence.Window> w = new ArrayList<>();
        for (int t = 0; t < seconds; t++) {
            long[] buckets = new long[LatencyHistogram.BUCKETS];
            for (int i = 0; i < 100; i++) buckets[LatencyHistogram.bucket(median * Math.exp(sigma * rnd.nextGaussian()))]++;
            w.add(new Evidence.Window(100, 0, 0, 100, buckets));
        }
        return w;
    }
}
