package dev.rollguard.sim;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.rollout.Analysis;
import dev.rollguard.rollout.Evidence;
import dev.rollguard.rollout.Grounds;
import org.apache.commons.math3.special.Gamma;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The same-information reference of the judgement benchmark: what the best single test at the end of a bake can detect
 * with the evidence the judge has (the canary host's own history on the old version and the baseline hosts), its
 * threshold set on healthy releases of the scenario's family (same noise, no regression) to a given false-rollback
 * rate. It looks once, knows when the bake ends and which metric regressed, and is calibrated on the very noise it is
 * scored on: an upper mark, not a judge (it would need a new calibration for every fleet).
 *
 * <p>It is one fixed test per scenario, chosen and calibrated before any scored release is drawn ({@link Calibration}):
 * its candidate is the one that detects most on regressed releases of a stream of their own, its threshold is set on
 * healthy releases of that stream, and that test is then scored on the releases Rollguard is scored on. Choosing the
 * best of the candidates on the scored releases themselves picks the one those releases happened to favour (a winner's
 * curse): on 5xx +0.5 pp, seeds 1 and 2 credited the chosen candidate with 45.5 % and 42.0 % where it detects 34.6 % on
 * 1,000 fresh releases.
 *
 * <p>Candidates (the reference is the best of them per scenario, each with its own threshold), on the bake's canary
 * count x of n (5xx, or requests slower than the baseline hosts' p95 in the bake):
 * <ul>
 *   <li>{@code own history}: x against the canary host's own 120 s before the release, z = (x - n p_h) / sqrt(n p_h
 *   (1 - p_h) (1 + n / n_h));</li>
 *   <li>{@code baseline}: x against the baseline hosts over the same seconds (two-proportion z);</li>
 *   <li>{@code own history x drift}: the own-history test with p_h scaled by how far the baseline moved since the
 *   release;</li>
 *   <li>{@code own history, bursts set aside}: the own-history test on the seconds (of the bake and of the history) whose
 *   count is not wildly improbable under the history's rate (Poisson upper tail under {@link #BURST_TAIL}): a test that
 *   holds where hosts hiccup, for the reference that does not know the family ({@link #threshold});</li>
 *   <li>{@code Rollguard's z, once} ({@link #ROLLGUARD}): Rollguard's own statistic at the end of the bake, looked at
 *   once with a calibrated threshold: what its statistic could do with the whole budget at that one look (and, with
 *   the family's threshold, with the reference's oracle).</li>
 * </ul>
 */
final class JudgementReference {
    /** The tests the reference chooses among. */
    enum Test { OWN_HISTORY("own history"), BASELINE("baseline"), OWN_HISTORY_DRIFT("own history x drift"),
        OWN_HISTORY_TRIMMED("own history, bursts set aside"), ROLLGUARD_Z("Rollguard's z, once");

        final String label;

        Test(String label) { this.label = label; }
    }

    /** What regressed: the reference tests that metric. */
    enum Metric { ERRORS, LATENCY }

    /**
     * A statistics row's column of Rollguard's own statistic at the reference's look. It is a candidate too: one look at
     * the end of the bake with the same evidence, with a threshold calibrated as the others' are. Left out, the reference
     * that does not know the family would be weaker than what Rollguard's own test shows the evidence allows.
     */
    static final int ROLLGUARD = Test.ROLLGUARD_Z.ordinal();
    /** A second whose count has a Poisson upper tail under this, at the history's rate, is a burst for the trimmed candidate. */
    private static final double BURST_TAIL = 1e-3;

    /**
     * The reference of one regression scenario: its test, that test's detection and threshold, and its detection on the
     * calibration's regressed releases it was chosen on.
     */
    record Result(Test test, double detection, double threshold, double calibrated) {}

    private JudgementReference() {}

    static Metric metric(JudgementTraces.Scenario s) {
        JudgementTraces.Regression r = s.regression();
        return r.addErrors() > 0 || r.errorFactor() != 1 ? Metric.ERRORS : Metric.LATENCY;
    }

    /** The bake the regression starts in (0: the first); the reference looks at its end. */
    static int bake(JudgementTraces.Scenario s) {
        return s.regression().from() / JudgementBenchmark.BAKE;
    }

    /** Every candidate's statistic at the end of bake {@code bake} (larger: worse), then Rollguard's z there. */
    static double[] statistics(JudgementTraces.Trace trace, Metric metric, int bake, AnalysisSettings settings) {
        int from = bake * JudgementBenchmark.BAKE;
        int to = from + JudgementBenchmark.BAKE;
        int threshold = metric == Metric.LATENCY ? baselineP95Bucket(trace, from, to) : -1;
        long[] canary = sum(trace.canary(), 0, trace.canary().size(), from, to, threshold);
        long[] own = sum(trace.canaryBefore(), 0, trace.canaryBefore().size(), 0, trace.canaryBefore().size(), threshold);
        long[] baseNow = new long[2];
        long[] baseThen = new long[2];
        for (List<Evidence.Window> host : trace.baseline()) {
            long[] now = sum(host, 0, host.size(), JudgementTraces.LOOKBACK + from, JudgementTraces.LOOKBACK + to, threshold);
            long[] then = sum(host, 0, host.size(), 0, JudgementTraces.LOOKBACK, threshold);
            for (int k = 0; k < 2; k++) {
                baseNow[k] += now[k];
                baseThen[k] += then[k];
            }
        }
        double ph = (own[1] + 0.5) / (own[0] + 1.0);
        double drift = ((baseNow[1] + 0.5) / (baseNow[0] + 1.0)) / ((baseThen[1] + 0.5) / (baseThen[0] + 1.0));
        long[] ownKept = kept(trace.canaryBefore(), 0, trace.canaryBefore().size(), threshold, ph);
        double phKept = (ownKept[1] + 0.5) / (ownKept[0] + 1.0);
        long[] canaryKept = kept(trace.canary(), from, to, threshold, phKept);
        return new double[] {ownHistory(canary, own[0], ph), twoProportion(canary, baseNow), ownHistory(canary, own[0], Math.min(0.99, ph * drift)),
                ownHistory(canaryKept, ownKept[0], phKept), rollguard(trace, metric, bake, settings)};
    }

    /**
     * Rollguard's standardised evidence on the metric at the end of the bake (the 5xx test's z, or the latency test's):
     * without it (a guard, the ceiling or fail-fast, failed the canary first; for latency, also the 5xx test), a failed
     * decision counts as over any threshold.
     */
    static double rollguard(JudgementTraces.Trace trace, Metric metric, int bake, AnalysisSettings settings) {
        Analysis.Decision d = Analysis.decide(trace.at(JudgementBenchmark.BAKE * (bake + 1)), settings);
        Grounds.Numbers n = d.numbers();
        Grounds.RateNumbers test = n == null ? null : metric == Metric.ERRORS ? n.errorTest() : n.latency() == null ? null : n.latency().slow();
        if (test != null) return test.z();
        return d.verdict() == Analysis.Verdict.FAIL ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** {trials, hits} of windows [from, to), leaving out each second whose hits are wildly improbable at {@code rate}. */
    private static long[] kept(List<Evidence.Window> windows, int from, int to, int slowerThanBucket, double rate) {
        long[] out = new long[2];
        for (int i = from; i < Math.min(to, windows.size()); i++) {
            long[] w = sum(windows, i, i + 1, i, i + 1, slowerThanBucket);
            if (w[1] > 0 && Gamma.regularizedGammaP(w[1], Math.max(1e-9, w[0] * rate)) < BURST_TAIL) continue;
            out[0] += w[0];
            out[1] += w[1];
        }
        return out;
    }

    private static double ownHistory(long[] canary, long historyTrials, double ph) {
        double n = canary[0];
        if (n == 0) return Double.NEGATIVE_INFINITY;
        return (canary[1] - n * ph) / Math.sqrt(n * ph * (1 - ph) * (1 + n / Math.max(1, historyTrials)));
    }

    private static double twoProportion(long[] canary, long[] base) {
        if (canary[0] == 0 || base[0] == 0) return Double.NEGATIVE_INFINITY;
        double p = (canary[1] + base[1] + 0.5) / (canary[0] + base[0] + 1.0);
        return ((double) canary[1] / canary[0] - (double) base[1] / base[0]) / Math.sqrt(p * (1 - p) * (1.0 / canary[0] + 1.0 / base[0]));
    }

    /** What one calibration is for: the family's noise, the metric tested and the bake at whose end the reference looks. */
    record Look(JudgementTraces.Noise family, Metric metric, int bake) {}

    /** Where the reference looks for a regression scenario: its family, its metric, its bake. */
    static Look look(JudgementTraces.Scenario s) {
        return new Look(s.noise(), metric(s), bake(s));
    }

    /**
     * The reference's calibration, drawn once for all seeds from a stream of its own ({@link #CALIBRATION_SEED}), never
     * from the releases it is scored on: per family and look, every candidate's threshold (from healthy releases of the
     * family); per regression scenario, the candidates' statistics on regressed releases of it, on which its test is
     * chosen.
     */
    record Calibration(Map<Look, double[]> thresholds, Map<Look, double[]> anyFamily, Map<String, double[][]> regressed, int healthyRuns,
                       int regressedRuns) {
        /**
         * The reference's test for a scenario at {@code thresholds} (its family's, or for the reference that does not know
         * the family, the seed's): the candidate that detects most on the scenario's calibration releases.
         */
        Test test(JudgementTraces.Scenario s, double[] thresholds) {
            return choose(regressed.get(s.name()), thresholds);
        }

        /** The reference's test for a scenario at {@code thresholds}, scored on {@code statistics} (the scored releases'). */
        Result score(JudgementTraces.Scenario s, double[][] statistics, double[] thresholds) {
            return JudgementReference.score(test(s, thresholds), statistics, thresholds, regressed.get(s.name()));
        }
    }

    /** The calibration's own random stream: far from the scored releases' seeds (seed x 1,000,003 + scenario, x 7,919 + run). */
    static final long CALIBRATION_SEED = -0x5EED_CA1B_0000_000L;

    /** The calibration of the reference for {@code scenarios}: {@code healthy} releases per family, {@code regressed} per regression. */
    static Calibration calibrate(List<JudgementTraces.Scenario> scenarios, int healthy, int regressed, AnalysisSettings settings) {
        Map<JudgementTraces.Noise, List<Look>> byFamily = new TreeMap<>();
        for (JudgementTraces.Scenario s : scenarios) {
            if (s.healthy()) continue;
            List<Look> looks = byFamily.computeIfAbsent(s.noise(), k -> new ArrayList<>());
            if (!looks.contains(look(s))) looks.add(look(s));
        }
        int canaries = scenarios.get(0).canaries();
        Map<Look, double[]> thresholds = new HashMap<>();
        byFamily.forEach((family, looks) -> thresholds.putAll(thresholds(looks, canaries, healthy, JudgementBenchmark.FALSE_BUDGET,
                CALIBRATION_SEED + family.ordinal(), settings)));
        // the reference that does not know the family: at each look (family left out), thresholds on healthy releases
        // of every family at once, a fifth as many of each as a family's own (the same total), also from the calibration's stream
        List<Look> anyLooks = anyFamilyLooks(scenarios);
        List<double[][][]> pooled = new ArrayList<>();
        for (JudgementTraces.Noise family : scenarios.stream().filter(JudgementTraces.Scenario::healthy).map(JudgementTraces.Scenario::noise)
                .distinct().toList()) {
            pooled.add(healthyStatistics(family, anyLooks, canaries, Math.max(1, healthy / 5), CALIBRATION_SEED + 100 + family.ordinal(), settings));
        }
        Map<Look, double[]> anyFamily = new HashMap<>();
        for (int li = 0; li < anyLooks.size(); li++) {
            int look = li;
            anyFamily.put(anyLooks.get(li), threshold(pooled.stream().flatMap(Arrays::stream).map(x -> x[look]).toArray(double[][]::new),
                    JudgementBenchmark.FALSE_BUDGET));
        }
        Map<String, double[][]> stats = new HashMap<>();
        for (int si = 0; si < scenarios.size(); si++) {
            JudgementTraces.Scenario s = scenarios.get(si);
            if (s.healthy()) continue;
            long stream = (CALIBRATION_SEED + JudgementTraces.Noise.values().length + si) * 7_919L;
            stats.put(s.name(), IntStream.range(0, regressed).parallel()
                    .mapToObj(run -> statistics(JudgementTraces.generate(s, new SplittableRandom(stream + run)), metric(s), bake(s), settings))
                    .toArray(double[][]::new));
        }
        return new Calibration(thresholds, anyFamily, stats, healthy, regressed);
    }

    /**
     * The thresholds of every candidate at every look at one family (all {@code looks} of the same one): the value at most
     * {@code falseRate} of {@code healthy} releases' statistics exceed, from releases drawn with the family's noise and no
     * regression. One set of healthy releases:
     * the releases depend on the family and the seed only, so each is drawn once and read at every look (drawing them is
     * most of a calibration's cost).
     */
    static Map<Look, double[]> thresholds(List<Look> looks, int canaries, int healthy, double falseRate, long seed, AnalysisSettings settings) {
        JudgementTraces.Noise family = looks.get(0).family();
        if (looks.stream().anyMatch(l -> l.family() != family)) throw new IllegalArgumentException("looks at more than one family: " + looks);
        double[][][] stats = healthyStatistics(family, looks, canaries, healthy, seed, settings);
        Map<Look, double[]> out = new HashMap<>();
        for (int li = 0; li < looks.size(); li++) {
            int look = li;
            out.put(looks.get(li), threshold(Arrays.stream(stats).map(x -> x[look]).toArray(double[][]::new), falseRate));
        }
        return out;
    }

    /** Where the reference looks for a regression scenario, whatever its family. */
    static Look anyFamily(JudgementTraces.Scenario s) {
        return new Look(null, metric(s), bake(s));
    }

    /** Every look of the reference that does not know the family, once, in the order of {@code scenarios}' regressions. */
    static List<Look> anyFamilyLooks(List<JudgementTraces.Scenario> scenarios) {
        return scenarios.stream().filter(x -> !x.healthy()).map(JudgementReference::anyFamily).distinct().toList();
    }

    /** Per healthy release of {@code family} drawn from {@code seed}: every candidate's statistics at each of {@code looks}. */
    private static double[][][] healthyStatistics(JudgementTraces.Noise family, List<Look> looks, int canaries, int healthy, long seed,
                                                  AnalysisSettings settings) {
        JudgementTraces.Scenario s = new JudgementTraces.Scenario("healthy " + family, family, null, JudgementTraces.Target.NONE, canaries);
        return IntStream.range(0, healthy).parallel()
                .mapToObj(run -> {
                    JudgementTraces.Trace trace = JudgementTraces.generate(s, new SplittableRandom(seed * 104_729L + run));
                    return looks.stream().map(l -> statistics(trace, l.metric(), l.bake(), settings)).toArray(double[][]::new);
                })
                .toArray(double[][][]::new);
    }

    /**
     * Per column of healthy releases' statistics rows, the value at most {@code falseRate} of them exceed. Given healthy
     * releases of every family at once, it is the reference that does not know the family: held, as Rollguard is, to the
     * false-rollback budget over all of them.
     */
    static double[] threshold(double[][] healthy, double falseRate) {
        int allowed = (int) Math.floor(falseRate * healthy.length);
        double[] t = new double[ROLLGUARD + 1];
        for (int c = 0; c < t.length; c++) {
            int col = c;
            double[] v = Arrays.stream(healthy).mapToDouble(x -> x[col]).sorted().toArray();
            // strictly above the (allowed + 1)-th largest: at most `allowed` healthy releases exceed it
            t[c] = v[v.length - 1 - Math.min(allowed, v.length - 1)];
        }
        return t;
    }

    /** Rollguard's detection with its statistic looked at once, at the reference's look and threshold (column {@link #ROLLGUARD}). */
    static double rollguardOneLook(double[][] statistics, double[] thresholds) {
        int c = 0;
        for (double[] s : statistics) if (s[ROLLGUARD] > thresholds[ROLLGUARD]) c++;
        return (double) c / statistics.length;
    }

    /**
     * The candidate that detects most on {@code statistics} at {@code thresholds}: given the calibration's regressed
     * releases, never the scored ones (the first of equal detections, in the order of {@link Test}).
     */
    static Test choose(double[][] statistics, double[] thresholds) {
        Test best = null;
        double most = -1;
        for (Test t : Test.values()) {
            double d = detection(statistics, t, thresholds);
            if (d > most) {
                best = t;
                most = d;
            }
        }
        return best;
    }

    /** One fixed test's detection on a scenario's statistics, given its thresholds and its calibration releases' statistics. */
    static Result score(Test test, double[][] statistics, double[] thresholds, double[][] calibration) {
        return new Result(test, detection(statistics, test, thresholds), thresholds[test.ordinal()], detection(calibration, test, thresholds));
    }

    /** How many statistics rows {@code test} fails at {@code thresholds} (of healthy releases: the reference's false rollbacks). */
    static int exceeding(Test test, double[][] healthy, double[] thresholds) {
        int c = 0;
        for (double[] s : healthy) if (s[test.ordinal()] > thresholds[test.ordinal()]) c++;
        return c;
    }

    private static double detection(double[][] statistics, Test test, double[] thresholds) {
        return statistics.length == 0 ? 0 : (double) exceeding(test, statistics, thresholds) / statistics.length;
    }

    /** {trials, hits} of windows [from, to) of a host (hits: 5xx, or with a bucket, latencies above it). */
    private static long[] sum(List<Evidence.Window> windows, int lo, int hi, int from, int to, int slowerThanBucket) {
        long[] out = new long[2];
        for (int i = Math.max(lo, from); i < Math.min(hi, to); i++) {
            Evidence.Window w = windows.get(i);
            if (slowerThanBucket < 0) {
                out[0] += w.requests();
                out[1] += w.errors();
            } else if (w.latencyBuckets() != null) {
                long[] b = w.latencyBuckets();
                for (int k = 0; k < b.length; k++) {
                    out[0] += b[k];
                    if (k > slowerThanBucket) out[1] += b[k];
                }
            }
        }
        return out;
    }

    /** The baseline hosts' pooled p95 bucket over the bake's seconds. */
    private static int baselineP95Bucket(JudgementTraces.Trace trace, int from, int to) {
        long[] pooled = null;
        long total = 0;
        for (List<Evidence.Window> host : trace.baseline()) {
            for (int i = JudgementTraces.LOOKBACK + from; i < JudgementTraces.LOOKBACK + to; i++) {
                long[] b = host.get(i).latencyBuckets();
                if (b == null) continue;
                if (pooled == null) pooled = new long[b.length];
                for (int k = 0; k < b.length; k++) {
                    pooled[k] += b[k];
                    total += b[k];
                }
            }
        }
        if (pooled == null) return 0;
        long cumulative = 0;
        for (int k = 0; k < pooled.length; k++) {
            cumulative += pooled[k];
            if (cumulative >= 0.95 * total) return k;
        }
        return pooled.length - 1;
    }
}
