package dev.rollguard.sim;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.rollout.Analysis;
import dev.rollguard.rollout.Evidence;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The canary-judgement benchmark: seeded synthetic releases ({@link JudgementTraces}) judged second by second by
 * Rollguard's analysis (the same {@link Analysis#decide(Evidence, AnalysisSettings)} the rollout machine calls), a
 * Kayenta-style Mann-Whitney judge and a Flagger-style fixed threshold. A release is rolled back at the first failing
 * verdict, else it passes; the table gives per scenario the share rolled back (false rollbacks for healthy releases,
 * detection for regressions), the seconds to the rollback (p50/p95) and the canary requests seen by then.
 */
public final class JudgementBenchmark {
    /** The default bake of a wave: the targets on detection are within it. */
    public static final int BAKE = 30;
    /** The false-rollback budget (issue 26): at most this share of healthy releases, on each seed. */
    public static final double FALSE_BUDGET = 0.005;
    /** The seeds run by default, each reported. */
    public static final List<Long> SEEDS = List.of(1L, 2L, 3L);
    static final String[] JUDGES = {"Rollguard", "Kayenta-style MW", "Kayenta-style MW + own history", "Flagger-style"};

    /** One judge's outcome on one release: rolled back at second {@code at} (0 if it passed), canary requests seen. */
    record Outcome(int at, long evidence, String why) {
        boolean rolledBack() { return at > 0; }
    }

    /**
     * All judges' outcomes of one release; each tuned comparison setting's second of rollback (0: passed); for a
     * regression, the reference's statistics row at its look; for a healthy release, its rows at every regression's
     * look (for the reference that does not know the family).
     */
    record Release(Outcome[] outcomes, int[] kayentaAt, int[] kayentaOwnAt, int[] flaggerAt, double[] reference, double[][] healthy) {}

    /**
     * All judges' outcomes of one scenario: per judge and run; {@code kayentaAt}, {@code kayentaOwnAt} and {@code
     * flaggerAt} per grid point of {@link JudgementMatched} and run; for a regression, the same-information reference
     * ({@link JudgementReference}; else null), the same reference with its threshold set on all families' healthy releases
     * ({@code unknownFamily}) and its false rollbacks on the seed's healthy releases of every family ({@code unknownFalse}),
     * Rollguard's own statistic looked at once with the reference's threshold ({@code oneLook},
     * a detection rate), and on the seed's {@code familyHealthy} healthy releases of the scenario's family (drawn as the
     * scored releases are, never the reference's calibration) the reference's false rollbacks at its look and Rollguard's
     * within its 60 s.
     */
    public record Row(JudgementTraces.Scenario scenario, int[][] at, long[][] evidence, Map<String, Integer> why, int[][] kayentaAt,
                      int[][] kayentaOwnAt, int[][] flaggerAt, JudgementReference.Result reference, JudgementReference.Result unknownFamily,
                      int unknownFalse, double oneLook, int familyHealthy, int referenceFalse, int rollguardFalse) {
        double rate(int judge) { return (double) count(judge, JudgementTraces.SECONDS) / at[judge].length; }

        int count(int judge, int within) {
            int c = 0;
            for (int a : at[judge]) if (a > 0 && a <= within) c++;
            return c;
        }

        /** The end of the bake the regression starts in: where the reference looks, and Rollguard's detection is counted. */
        int bakeEnd() {
            return scenario.healthy() ? BAKE : BAKE * (JudgementReference.bake(scenario) + 1);
        }

        /** Rollguard's detection within {@link #bakeEnd()}. */
        double inBake() { return (double) count(0, bakeEnd()) / at[0].length; }

        int percentile(int judge, double q) {
            int[] t = Arrays.stream(at[judge]).filter(a -> a > 0).sorted().toArray();
            return t.length == 0 ? -1 : t[Math.min(t.length - 1, (int) Math.ceil(q * t.length) - 1)];
        }

        long medianEvidence(int judge) {
            long[] e = evidence[judge].clone();
            Arrays.sort(e);
            return e[e.length / 2];
        }

        /** The same scenario's rows of several seeds as one (runs one after the other; the reference's detection averaged). */
        static Row merge(List<Row> rows) {
            Row first = rows.get(0);
            Map<String, Integer> why = new TreeMap<>();
            rows.forEach(r -> r.why().forEach((k, v) -> why.merge(k, v, Integer::sum)));
            return new Row(first.scenario(), concat(rows, Row::at), concatLong(rows, Row::evidence), why, concat(rows, Row::kayentaAt),
                    concat(rows, Row::kayentaOwnAt), concat(rows, Row::flaggerAt), average(rows, Row::reference), average(rows, Row::unknownFamily),
                    rows.stream().mapToInt(Row::unknownFalse).sum(), rows.stream().mapToDouble(Row::oneLook).average().orElse(0), rows.stream().mapToInt(Row::familyHealthy).sum(),
                    rows.stream().mapToInt(Row::referenceFalse).sum(), rows.stream().mapToInt(Row::rollguardFalse).sum());
        }

        /**
         * A reference over several seeds: the detections averaged. The family reference is one test at one threshold on
         * every seed; the one that does not know the family has each seed's thresholds (its threshold is then NaN).
         */
        private static JudgementReference.Result average(List<Row> rows, Function<Row, JudgementReference.Result> f) {
            JudgementReference.Result first = f.apply(rows.get(0));
            if (first == null) return null;
            boolean same = rows.stream().allMatch(r -> f.apply(r).test() == first.test() && f.apply(r).threshold() == first.threshold());
            return new JudgementReference.Result(first.test(), rows.stream().mapToDouble(r -> f.apply(r).detection()).average().orElse(0),
                    same ? first.threshold() : Double.NaN, same ? first.calibrated() : Double.NaN);
        }

        private static int[][] concat(List<Row> rows, Function<Row, int[][]> f) {
            int[][] out = new int[f.apply(rows.get(0)).length][];
            for (int i = 0; i < out.length; i++) {
                int k = i;
                out[i] = rows.stream().flatMapToInt(r -> Arrays.stream(f.apply(r)[k])).toArray();
            }
            return out;
        }

        private static long[][] concatLong(List<Row> rows, Function<Row, long[][]> f) {
            long[][] out = new long[f.apply(rows.get(0)).length][];
            for (int i = 0; i < out.length; i++) {
                int k = i;
                out[i] = rows.stream().flatMapToLong(r -> Arrays.stream(f.apply(r)[k])).toArray();
            }
            return out;
        }
    }

    /** One seed's rows. */
    public record SeedRun(long seed, List<Row> rows) {
        int healthy() {
            return rows.stream().filter(r -> r.scenario().healthy()).mapToInt(r -> r.at()[0].length).sum();
        }

        int falseRollbacks(int judge) {
            return rows.stream().filter(r -> r.scenario().healthy()).mapToInt(r -> r.count(judge, JudgementTraces.SECONDS)).sum();
        }
    }

    private JudgementBenchmark() {}

    /**
     * Healthy releases per family drawn to set the reference's thresholds: fifty times the runs, at least 2,000 (at
     * 10,000 a threshold at 0.5 % is set by 50 releases; at 2,000, by 10, and +0.5 pp's reference moved by several points
     * with them).
     */
    static int calibrationRuns(int runs) {
        return Math.max(2000, 50 * runs);
    }

    /** Regressed releases per scenario drawn to choose the reference's test: five times the runs, at least 200. */
    static int choiceRuns(int runs) {
        return Math.max(200, 5 * runs);
    }

    /**
     * Each seed's releases with {@code canaries} canary hosts (of {@link JudgementTraces#HOSTS}), against one reference
     * calibrated once for all of them on releases of its own.
     */
    public static List<SeedRun> run(List<Long> seeds, int runs, int canaries, AnalysisSettings settings) {
        JudgementReference.Calibration calibration = JudgementReference.calibrate(JudgementTraces.scenarios(canaries),
                calibrationRuns(runs), choiceRuns(runs), settings);
        return seeds.stream().map(seed -> new SeedRun(seed, run(seed, runs, canaries, calibration, settings))).toList();
    }

    static List<Row> run(long seed, int runs, int canaries, JudgementReference.Calibration calibration, AnalysisSettings settings) {
        List<Row> rows = new ArrayList<>();
        List<JudgementTraces.Scenario> scenarios = JudgementTraces.scenarios(canaries);
        Map<JudgementReference.Look, double[]> thresholds = calibration.thresholds();
        List<JudgementReference.Look> looks = JudgementReference.anyFamilyLooks(scenarios);
        List<Release[]> releases = new ArrayList<>();
        for (int si = 0; si < scenarios.size(); si++) {
            JudgementTraces.Scenario s = scenarios.get(si);
            long scenarioSeed = seed * 1_000_003L + si;
            releases.add(IntStream.range(0, runs).parallel()
                    .mapToObj(run -> release(s, new SplittableRandom(scenarioSeed * 7_919L + run), settings, looks))
                    .toArray(Release[]::new));
        }
        Map<JudgementTraces.Noise, FamilyHealthy> familyHealthy = familyHealthy(seed, runs, scenarios, settings);
        // the reference that does not know the family: its thresholds from the calibration's healthy releases of every
        // family; its false rollbacks counted on this seed's healthy releases, the ones Rollguard's are counted on
        Map<JudgementReference.Look, double[]> anyFamily = calibration.anyFamily();
        for (int si = 0; si < scenarios.size(); si++) {
            JudgementTraces.Scenario s = scenarios.get(si);
            Release[] results = releases.get(si);
            int[][] at = new int[JUDGES.length][runs];
            long[][] evidence = new long[JUDGES.length][runs];
            int[][] kayentaAt = new int[JudgementMatched.KAYENTA.size()][runs];
            int[][] kayentaOwnAt = new int[JudgementMatched.KAYENTA.size()][runs];
            int[][] flaggerAt = new int[JudgementMatched.FLAGGER.size()][runs];
            for (int run = 0; run < runs; run++) {
                for (int j = 0; j < JUDGES.length; j++) {
                    at[j][run] = results[run].outcomes()[j].at();
                    evidence[j][run] = results[run].outcomes()[j].evidence();
                }
                for (int g = 0; g < kayentaAt.length; g++) kayentaAt[g][run] = results[run].kayentaAt()[g];
                for (int g = 0; g < kayentaOwnAt.length; g++) kayentaOwnAt[g][run] = results[run].kayentaOwnAt()[g];
                for (int g = 0; g < flaggerAt.length; g++) flaggerAt[g][run] = results[run].flaggerAt()[g];
            }
            Map<String, Integer> why = new TreeMap<>();
            for (Release o : results) if (o.outcomes()[0].why() != null) why.merge(o.outcomes()[0].why(), 1, Integer::sum);
            JudgementReference.Result reference = null;
            JudgementReference.Result unknownFamily = null;
            double oneLook = 0;
            int referenceFalse = 0;
            int unknownFalse = 0;
            FamilyHealthy family = null;
            if (!s.healthy()) {
                JudgementReference.Look look = JudgementReference.look(s);
                double[] t = thresholds.get(look);
                double[] unknown = anyFamily.get(JudgementReference.anyFamily(s));
                double[][] statistics = Arrays.stream(results).map(Release::reference).toArray(double[][]::new);
                reference = calibration.score(s, statistics, t);
                unknownFamily = calibration.score(s, statistics, unknown);
                int lookAt = looks.indexOf(JudgementReference.anyFamily(s));
                unknownFalse = JudgementReference.exceeding(unknownFamily.test(), releases.stream().flatMap(Arrays::stream)
                        .filter(r -> r.healthy() != null).map(r -> r.healthy()[lookAt]).toArray(double[][]::new), unknown);
                oneLook = JudgementReference.rollguardOneLook(statistics, t);
                family = familyHealthy.get(s.noise());
                referenceFalse = JudgementReference.exceeding(reference.test(), family.statistics().get(look), t);
            }
            rows.add(new Row(s, at, evidence, why, kayentaAt, kayentaOwnAt, flaggerAt, reference, unknownFamily, unknownFalse,
                    oneLook, family == null ? 0 : family.runs(), referenceFalse, family == null ? 0 : family.rollguardFalse()));
        }
        return rows;
    }

    /**
     * A seed's healthy releases of a regression family (the scored stream's, never the reference's calibration):
     * Rollguard's false rollbacks within its 60 s, and the reference's statistics rows at each of the family's looks.
     */
    record FamilyHealthy(int runs, int rollguardFalse, Map<JudgementReference.Look, double[][]> statistics) {}

    /** One such release: rolled back by Rollguard, and the reference's statistics rows at the family's looks. */
    private record Drawn(boolean failed, double[][] statistics) {}

    /** {@link FamilyHealthy} of every regression family, {@code runs} releases each. */
    private static Map<JudgementTraces.Noise, FamilyHealthy> familyHealthy(long seed, int runs, List<JudgementTraces.Scenario> scenarios,
                                                                          AnalysisSettings settings) {
        Map<JudgementTraces.Noise, FamilyHealthy> out = new TreeMap<>();
        for (JudgementTraces.Noise family : scenarios.stream().filter(x -> !x.healthy()).map(JudgementTraces.Scenario::noise).distinct().toList()) {
            List<JudgementReference.Look> looks = scenarios.stream().filter(x -> !x.healthy() && x.noise() == family)
                    .map(JudgementReference::look).distinct().toList();
            JudgementTraces.Scenario s = new JudgementTraces.Scenario("healthy " + family, family, null, JudgementTraces.Target.NONE,
                    scenarios.get(0).canaries());
            // after the scenarios' own indices in the scored stream
            long familySeed = seed * 1_000_003L + 1_000 + family.ordinal();
            Drawn[] drawn = IntStream.range(0, runs).parallel().mapToObj(run -> {
                JudgementTraces.Trace trace = JudgementTraces.generate(s, new SplittableRandom(familySeed * 7_919L + run));
                boolean failed = false;
                for (int t = 1; t <= JudgementTraces.SECONDS && !failed; t++) {
                    failed = Analysis.decide(trace.at(t), settings).verdict() == Analysis.Verdict.FAIL;
                }
                double[][] stats = looks.stream().map(l -> JudgementReference.statistics(trace, l.metric(), l.bake(), settings))
                        .toArray(double[][]::new);
                return new Drawn(failed, stats);
            }).toArray(Drawn[]::new);
            Map<JudgementReference.Look, double[][]> statistics = new HashMap<>();
            for (int li = 0; li < looks.size(); li++) {
                int look = li;
                statistics.put(looks.get(li), Arrays.stream(drawn).map(d -> d.statistics()[look]).toArray(double[][]::new));
            }
            int failed = (int) Arrays.stream(drawn).filter(Drawn::failed).count();
            out.put(family, new FamilyHealthy(runs, failed, statistics));
        }
        return out;
    }

    static Release release(JudgementTraces.Scenario s, SplittableRandom rnd, AnalysisSettings settings, List<JudgementReference.Look> looks) {
        JudgementTraces.Trace trace = JudgementTraces.generate(s, rnd);
        Outcome[] out = new Outcome[JUDGES.length];
        FlaggerStyleJudge flagger = new FlaggerStyleJudge();
        List<FlaggerStyleJudge> tuned = JudgementMatched.FLAGGER.stream()
                .map(f -> new FlaggerStyleJudge(f.minSuccessPercent(), f.maxP99Millis(), f.threshold())).toList();
        int[] kayentaAt = new int[JudgementMatched.KAYENTA.size()];
        int[] kayentaOwnAt = new int[JudgementMatched.KAYENTA.size()];
        int[] flaggerAt = new int[tuned.size()];
        long seen = 0;
        int end = JudgementTraces.SECONDS;
        for (int t = 1; t <= end; t++) {
            seen += trace.canary().get(t - 1).requests();
            if (out[0] == null) {
                Analysis.Decision d = Analysis.decide(trace.at(t), settings);
                if (d.verdict() == Analysis.Verdict.FAIL) out[0] = new Outcome(t, seen, d.check().label());
            }
            if (out[3] == null && flagger.fails(trace, t)) out[3] = new Outcome(t, seen, null);
            boolean[][] kayenta = KayentaStyleJudge.fails(trace, t, end, JudgementMatched.KAYENTA);
            boolean[] k = kayenta[0];
            for (int g = 0; g < k.length; g++) if (kayentaAt[g] == 0 && k[g]) kayentaAt[g] = t;
            boolean[] ko = kayenta[1];
            for (int g = 0; g < ko.length; g++) if (kayentaOwnAt[g] == 0 && ko[g]) kayentaOwnAt[g] = t;
            // the grid's first point is the default setting
            if (out[1] == null && k[0]) out[1] = new Outcome(t, seen, null);
            if (out[2] == null && ko[0]) out[2] = new Outcome(t, seen, null);
            for (int g = 0; g < flaggerAt.length; g++) if (flaggerAt[g] == 0 && tuned.get(g).fails(trace, t)) flaggerAt[g] = t;
        }
        for (int j = 0; j < out.length; j++) if (out[j] == null) out[j] = new Outcome(0, seen, null);
        double[] reference = s.healthy() ? null
                : JudgementReference.statistics(trace, JudgementReference.metric(s), JudgementReference.bake(s), settings);
        double[][] healthy = !s.healthy() ? null
                : looks.stream().map(l -> JudgementReference.statistics(trace, l.metric(), l.bake(), settings)).toArray(double[][]::new);
        return new Release(out, kayentaAt, kayentaOwnAt, flaggerAt, reference, healthy);
    }

    public static void print(List<SeedRun> seeds, int runs, PrintWriter out) {
        JudgementReport.print(seeds, runs, out);
    }
}
