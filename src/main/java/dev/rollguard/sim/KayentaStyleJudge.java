package dev.rollguard.sim;

import dev.rollguard.protocol.LatencyHistogram;
import dev.rollguard.rollout.Evidence;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Kayenta-style judge for the judgement benchmark, with the NetflixACAJudge-v1.0 defaults (spinnaker/kayenta,
 * kayenta-judge NetflixACAJudge.scala and classifiers/metric/MannWhitneyClassifier.scala; docs/canary-config.md):
 * <ul>
 *   <li>each metric is a time series, one value per interval (here a second), canary group against baseline group;</li>
 *   <li>NaN strategy: {@code replace} (NaN to 0) for the error rate, as the docs advise for count metrics, {@code remove}
 *   for latency; then outliers removed with the IQR detector, factor 3.0;</li>
 *   <li>Mann-Whitney U test at confidence level 0.98 (the judge's {@code confLevel}); a metric is High when the test's
 *   confidence interval of the shift (Hodges-Lehmann) lies above {@code tolerance} 0.25 × the estimate and
 *   {@code direction} is increase; identical or all-tied data pass; effect size {@code allowedIncrease} 1.0 (the
 *   documented default: no extra margin);</li>
 *   <li>two metrics, 5xx rate and p99 latency, in equal-weight groups: one High gives a score of 50, under the usual
 *   {@code marginal} 75 / {@code pass} 95 score thresholds: a failed canary.</li>
 * </ul>
 * The p-value comes from Apache Commons Math's {@link MannWhitneyUTest}; the confidence interval of the shift, which
 * Commons Math does not give, by the normal approximation to the rank of the pairwise differences (Kayenta's own
 * implementation inverts the same test). Kayenta judges once per interval, not every second: {@link #EVERY} seconds.
 */
public final class KayentaStyleJudge {
    public static final int EVERY = 10;
    private static final double IQR_FACTOR = 3.0;
    private static final double TOLERANCE = 0.25;
    /** One test per thread: it holds no state between calls (average ranks for ties draw nothing), but costs a RNG to make. */
    private static final ThreadLocal<MannWhitneyUTest> MANN_WHITNEY = ThreadLocal.withInitial(MannWhitneyUTest::new);

    /**
     * The two settings the benchmark tunes: the judge's confidence level and the effect size {@code allowedIncrease} (a
     * metric is High only when the canary's mean is at least this multiple of the baseline's, Kayenta's {@code meanRatio}
     * measure). {@link #DEFAULT}: 0.98 and 1.0, NetflixACAJudge's and the docs' defaults.
     */
    public record Setting(double confidence, double allowedIncrease) {
        public static final Setting DEFAULT = new Setting(0.98, 1.0);
        /** z per confidence level: a few levels, asked for at every look of every release. */
        private static final Map<Double, Double> Z = new ConcurrentHashMap<>();

        double z() {
            return Z.computeIfAbsent(confidence, c -> new NormalDistribution(null, 0, 1).inverseCumulativeProbability(1 - (1 - c) / 2));
        }

        @Override public String toString() { return String.format("confidence %s, allowedIncrease %s", confidence, allowedIncrease); }
    }

    private KayentaStyleJudge() {}

    /**
     * Whether the canary fails at second t under each setting, against the baseline hosts ({@code [0]}) and against them
     * and its own history ({@code [1]}); only judged every {@link #EVERY} seconds and at the end (the Mann-Whitney
     * statistics are computed once per metric and control). With its own history the canary's seconds before the
     * release are a second control (Kayenta compares against whatever control it is given): a metric is High only when
     * it is High against both, so a host that always differed from the others is not failed for it, the same evidence
     * Rollguard's judge uses.
     */
    public static boolean[][] fails(JudgementTraces.Trace trace, int t, int end, List<Setting> settings) {
        boolean[][] out = new boolean[2][settings.size()];
        if (t % EVERY != 0 && t != end) return out;
        int n = t;
        double[] canaryErrors = new double[n];
        double[] baselineErrors = new double[n];
        List<Double> canaryP99 = new ArrayList<>();
        List<Double> baselineP99 = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            Evidence.Window c = trace.canary().get(s);
            canaryErrors[s] = c.requests() == 0 ? 0 : (double) c.errors() / c.requests();
            if (c.requests() > 0) canaryP99.add(JudgementTraces.quantile(c.latencyBuckets(), c.requests(), 0.99));
            long requests = 0;
            long errors = 0;
            long[] pooled = new long[LatencyHistogram.BUCKETS];
            for (List<Evidence.Window> host : trace.baseline()) {
                Evidence.Window w = host.get(JudgementTraces.LOOKBACK + s);
                requests += w.requests();
                errors += w.errors();
                if (w.latencyBuckets() != null) for (int b = 0; b < pooled.length; b++) pooled[b] += w.latencyBuckets()[b];
            }
            baselineErrors[s] = requests == 0 ? 0 : (double) errors / requests;
            if (requests > 0) baselineP99.add(JudgementTraces.quantile(pooled, requests, 0.99));
        }
        double[] canaryE = removeOutliers(canaryErrors);
        double[] canaryL = removeOutliers(unbox(canaryP99));
        Comparison errors = compare(removeOutliers(baselineErrors), canaryE);
        Comparison latency = compare(removeOutliers(unbox(baselineP99)), canaryL);
        List<Evidence.Window> before = trace.canaryBefore();
        double[] ownE = new double[before.size()];
        List<Double> ownL = new ArrayList<>();
        for (int s = 0; s < ownE.length; s++) {
            Evidence.Window w = before.get(s);
            ownE[s] = w.requests() == 0 ? 0 : (double) w.errors() / w.requests();
            if (w.requests() > 0) ownL.add(JudgementTraces.quantile(w.latencyBuckets(), w.requests(), 0.99));
        }
        Comparison ownErrors = compare(removeOutliers(ownE), canaryE);
        Comparison ownLatency = compare(removeOutliers(unbox(ownL)), canaryL);
        for (int i = 0; i < settings.size(); i++) {
            Setting s = settings.get(i);
            boolean e = errors.high(s);
            boolean l = latency.high(s);
            out[0][i] = e || l;
            out[1][i] = e && ownErrors.high(s) || l && ownLatency.high(s);
        }
        return out;
    }

    /** Mann-Whitney classification, direction increase, default settings. */
    static boolean high(double[] control, double[] experiment) {
        return compare(control, experiment).high(Setting.DEFAULT);
    }

    /** One metric's canary-against-baseline statistics: p-value, sorted pairwise differences, their median, the mean ratio. */
    private record Comparison(double p, double[] diffs, int m, int n, double meanRatio) {
        static final Comparison NONE = new Comparison(1, new double[0], 0, 0, 0);

        /** High: significant at the confidence, the shift's interval above tolerance × estimate, the effect at least allowed. */
        boolean high(Setting s) {
            if (diffs.length == 0 || !(p < 1 - s.confidence())) return false;
            if (s.allowedIncrease() > 1 && meanRatio < s.allowedIncrease()) return false;
            double estimate = median(diffs);
            double mn = (double) m * n;
            int c = (int) Math.floor(mn / 2 - s.z() * Math.sqrt(mn * (m + n + 1) / 12));
            double lower = diffs[Math.max(0, Math.min(diffs.length - 1, c))];
            return lower > TOLERANCE * Math.abs(estimate);
        }
    }

    private static Comparison compare(double[] control, double[] experiment) {
        if (control.length == 0 || experiment.length == 0) return Comparison.NONE;
        double[] a = experiment.clone();
        double[] b = control.clone();
        Arrays.sort(a);
        Arrays.sort(b);
        if (Arrays.equals(a, b)) return Comparison.NONE;
        if (Arrays.stream(a).allMatch(v -> v == a[0]) && Arrays.stream(b).allMatch(v -> v == a[0])) return Comparison.NONE;
        double p = MANN_WHITNEY.get().mannWhitneyUTest(experiment, control);
        double[] diffs = new double[a.length * b.length];
        int k = 0;
        for (double x : a) for (double y : b) diffs[k++] = x - y;
        Arrays.sort(diffs);
        double controlMean = Arrays.stream(b).average().orElse(0);
        double experimentMean = Arrays.stream(a).average().orElse(0);
        double ratio = controlMean > 0 ? experimentMean / controlMean : experimentMean > 0 ? Double.POSITIVE_INFINITY : 1;
        return new Comparison(p, diffs, a.length, b.length, ratio);
    }

    /** Kayenta's IQR detector: values beyond factor × IQR outside the quartiles are dropped. */
    static double[] removeOutliers(double[] v) {
        if (v.length < 4) return v;
        double[] s = v.clone();
        Arrays.sort(s);
        double q1 = percentile(s, 0.25);
        double q3 = percentile(s, 0.75);
        double iqr = q3 - q1;
        double lo = q1 - IQR_FACTOR * iqr;
        double hi = q3 + IQR_FACTOR * iqr;
        return Arrays.stream(v).filter(x -> x >= lo && x <= hi).toArray();
    }

    private static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        return i + 1 < sorted.length ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double[] unbox(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
