package dev.rollguard.sim;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.rollout.Analysis;
import dev.rollguard.rollout.Evidence;
import dev.rollguard.rollout.Grounds;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * Where the judge loses to the reference on 5xx +0.5 pp (issue 26), trace by trace: Rollguard's 5xx z at the end of the
 * bake against the reference's own-history statistic, both on the same releases; each calibrated on healthy releases of
 * the same (typical) fleet to 0.5 %, and Rollguard's also at its own boundary. A diagnostic run by hand (README, "bench
 * judgement"), not a test:
 * {@code java -cp target/classes:target/test-classes:CLASSPATH dev.rollguard.sim.GapProbe 1000 4000} (regressed and
 * healthy releases; seeds of their own, never the benchmark's).
 */
public final class GapProbe {
    private static final int Z = 0;
    private static final int FAIL_AT = 1;
    private static final int FAILED = 2;
    private static final int REFERENCE = 3;
    private static final int EXPECTED = 4;
    private static final int HITS = 5;
    private static final int OWN_EXPECTED = 6;
    private static final int DRIFT = 7;

    private GapProbe() {}

    public static void main(String[] args) {
        int regressed = Integer.parseInt(args[0]);
        int healthy = Integer.parseInt(args[1]);
        AnalysisSettings settings = AnalysisSettings.DEFAULT;
        JudgementTraces.Scenario bad = JudgementTraces.scenarios().stream().filter(s -> s.name().equals("5xx +0.5 pp")).findFirst().orElseThrow();
        JudgementTraces.Scenario ok = new JudgementTraces.Scenario("healthy, typical fleet", JudgementTraces.Noise.TYPICAL, null);
        double[][] r = rows(bad, regressed, 11, settings);
        double[][] h = rows(ok, healthy, 12, settings);
        System.out.printf("5xx +0.5 pp, %d regressed and %d healthy releases of the typical fleet, at second %d%n", regressed, healthy,
                JudgementBenchmark.BAKE);
        System.out.printf("Rollguard's boundary at the bake's last look: z %.3f; detected within the bake %.1f %% (healthy %.2f %%)%n",
                r[0][FAIL_AT], 100 * mean(r, x -> x[FAILED]), 100 * mean(h, x -> x[FAILED]));
        for (int c : new int[] {Z, REFERENCE}) {
            double t = JudgementReference.threshold(Arrays.stream(h).map(x -> new double[] {x[c], 0, 0, 0, 0}).toArray(double[][]::new),
                    JudgementBenchmark.FALSE_BUDGET)[0];
            System.out.printf("%s: healthy mean %.3f sd %.3f, 0.5 %% threshold %.3f; regressed mean %.3f sd %.3f; detected at that "
                            + "threshold %.1f %%, at Rollguard's boundary %.1f %%%n", c == Z ? "Rollguard's z" : "reference (own history)",
                    mean(h, x -> x[c]), sd(h, x -> x[c]), t, mean(r, x -> x[c]), sd(r, x -> x[c]), 100 * above(r, c, t),
                    100 * above(r, c, r[0][FAIL_AT]));
        }
        System.out.printf("canary 5xx in the bake: healthy %.2f, regressed %.2f; expected by Rollguard %.2f (regressed %.2f), by the own "
                + "history %.2f; fleet drift factor mean %.3f sd %.3f%n", mean(h, x -> x[HITS]), mean(r, x -> x[HITS]), mean(h, x -> x[EXPECTED]),
                mean(r, x -> x[EXPECTED]), mean(h, x -> x[OWN_EXPECTED]), mean(h, x -> x[DRIFT]), sd(h, x -> x[DRIFT]));
        System.out.printf("healthy: seen - expected, Rollguard sd %.2f (mean %.2f); own history sd %.2f (mean %.2f)%n",
                sd(h, x -> x[HITS] - x[EXPECTED]), mean(h, x -> x[HITS] - x[EXPECTED]), sd(h, x -> x[HITS] - x[OWN_EXPECTED]),
                mean(h, x -> x[HITS] - x[OWN_EXPECTED]));
    }

    /** Per release: Rollguard's z and boundary at the bake's end, failed within it, the reference's statistic, the counts. */
    private static double[][] rows(JudgementTraces.Scenario s, int n, long seed, AnalysisSettings settings) {
        int end = JudgementBenchmark.BAKE;
        return IntStream.range(0, n).parallel().mapToObj(run -> {
            JudgementTraces.Trace trace = JudgementTraces.generate(s, new SplittableRandom(seed * 1_000_003L * 7_919L + run));
            boolean failed = false;
            Analysis.Decision d = null;
            for (int t = 1; t <= end; t++) {
                d = Analysis.decide(trace.at(t), settings);
                failed |= d.verdict() == Analysis.Verdict.FAIL;
            }
            long own = 0;
            long ownTrials = 0;
            for (Evidence.Window w : trace.canaryBefore()) {
                own += w.errors();
                ownTrials += w.requests();
            }
            long hits = 0;
            long trials = 0;
            for (Evidence.Window w : trace.canary().subList(0, end)) {
                hits += w.errors();
                trials += w.requests();
            }
            Grounds.RateNumbers test = d.numbers() == null ? null : d.numbers().errorTest();
            double[] ref = JudgementReference.statistics(trace, JudgementReference.Metric.ERRORS, 0, settings);
            return new double[] {number(test, Grounds.RateNumbers::z), number(test, Grounds.RateNumbers::zFailAt), failed ? 1 : 0, ref[0],
                    number(test, Grounds.RateNumbers::expectedHits), hits, trials * (double) own / ownTrials,
                    number(test, Grounds.RateNumbers::fleetDrift)};
        }).toArray(double[][]::new);
    }

    /** One of the 5xx test's numbers; NaN when a guard decided before the test ran. */
    private static double number(Grounds.RateNumbers test, ToDoubleFunction<Grounds.RateNumbers> f) {
        return test == null ? Double.NaN : f.applyAsDouble(test);
    }

    private static double above(double[][] rows, int c, double t) {
        return Arrays.stream(rows).filter(x -> x[c] > t).count() / (double) rows.length;
    }

    private static double mean(double[][] rows, ToDoubleFunction<double[]> f) {
        return Arrays.stream(rows).mapToDouble(f).average().orElse(Double.NaN);
    }

    private static double sd(double[][] rows, ToDoubleFunction<double[]> f) {
        double m = mean(rows, f);
        return Math.sqrt(Arrays.stream(rows).mapToDouble(f).map(v -> (v - m) * (v - m)).sum() / (rows.length - 1));
    }
}
