package dev.rollguard.sim;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.rollout.Evidence;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class JudgementBenchmarkTest {
    @Test
    void sameSeedSameTableAndTheObviousCasesComeOutRight() {
        JudgementReference.Calibration calibration = calibration(1);
        List<JudgementBenchmark.Row> a = JudgementBenchmark.run(3, 3, 1, calibration, AnalysisSettings.DEFAULT);
        List<JudgementBenchmark.Row> b = JudgementBenchmark.run(3, 3, 1, calibration, AnalysisSettings.DEFAULT);
        assertThat(table(a, 3, 3)).isEqualTo(table(b, 3, 3));
        JudgementBenchmark.Row total = a.stream().filter(r -> r.scenario().name().equals("total failure")).findFirst().orElseThrow();
        for (int judge = 0; judge < JudgementBenchmark.JUDGES.length; judge++) {
            assertThat(total.count(judge, JudgementTraces.SECONDS)).isEqualTo(3);
        }
        assertThat(total.count(0, 1)).as("Rollguard: within the first report").isEqualTo(3);
        assertThat(table(a, 3, 3)).contains("| healthy: 1,000 req/s |", "targets (issue 26)", "reference's test",
                "the reference's own false rollbacks");
    }

    @Test
    void twoCanaryHostsAreJudgedTogetherAndTheTableSaysSo() {
        JudgementTraces.Scenario s = JudgementTraces.scenarios(2).stream().filter(x -> x.name().equals("5xx x10")).findFirst().orElseThrow();
        JudgementTraces.Trace trace = JudgementTraces.generate(s, new SplittableRandom(5));
        assertThat(trace.at(10).canary()).extracting(Evidence.HostWindows::host).containsExactly("c0", "c1");
        assertThat(trace.baseline()).hasSize(JudgementTraces.HOSTS - 2);
        // the comparison judges' canary is the two hosts added up, second by second
        assertThat(trace.canary().get(3).requests()).isEqualTo(trace.canaries().get(0).get(3).requests() + trace.canaries().get(1).get(3).requests());
        assertThat(trace.canary().get(3).errors()).isEqualTo(trace.canaries().get(0).get(3).errors() + trace.canaries().get(1).get(3).errors());
        List<JudgementBenchmark.Row> rows = JudgementBenchmark.run(3, 3, 2, calibration(2), AnalysisSettings.DEFAULT);
        JudgementBenchmark.Row total = rows.stream().filter(r -> r.scenario().name().equals("total failure")).findFirst().orElseThrow();
        assertThat(total.count(0, 1)).isEqualTo(3);
        assertThat(table(rows, 3, 3)).contains("2 canary hosts against 8 baseline hosts");
    }

    @Test
    void aFamilysLooksCalibratedFromOneSetOfReleasesAreEachAsIfCalibratedAlone() {
        JudgementReference.Look errors = new JudgementReference.Look(JudgementTraces.Noise.TYPICAL, JudgementReference.Metric.ERRORS, 0);
        JudgementReference.Look latency = new JudgementReference.Look(JudgementTraces.Noise.TYPICAL, JudgementReference.Metric.LATENCY, 0);
        JudgementReference.Look later = new JudgementReference.Look(JudgementTraces.Noise.TYPICAL, JudgementReference.Metric.ERRORS, 1);
        Map<JudgementReference.Look, double[]> together = JudgementReference.thresholds(List.of(errors, latency, later), 1, 40, 0.05, 7,
                AnalysisSettings.DEFAULT);
        for (JudgementReference.Look l : List.of(errors, latency, later)) {
            assertThat(together.get(l)).containsExactly(JudgementReference.thresholds(List.of(l), 1, 40, 0.05, 7, AnalysisSettings.DEFAULT).get(l));
        }
        assertThat(together.get(errors)).isNotEqualTo(together.get(latency));
    }

    @Test
    void theReferenceThatDoesNotKnowTheFamilyIsHeldToAllHealthyReleasesAtOnce() {
        // 200 healthy releases of two families: one calm (0..99), one with a heavy tail (100..199); 1 % may exceed
        double[][] healthy = new double[200][JudgementReference.ROLLGUARD + 1];
        for (int i = 0; i < healthy.length; i++) Arrays.fill(healthy[i], i);
        double[] pooled = JudgementReference.threshold(healthy, 0.01);
        assertThat(pooled).containsOnly(197.0);
        double[] calmOnly = JudgementReference.threshold(Arrays.copyOf(healthy, 100), 0.01);
        assertThat(calmOnly).containsOnly(98.0);
        double[][] regressions = {{150, 150, 150, 150, 99}, {199, 0, 0, 0, 0}};
        JudgementReference.Test calm = JudgementReference.choose(regressions, calmOnly);
        assertThat(JudgementReference.score(calm, regressions, calmOnly, regressions).detection()).isEqualTo(1.0);
        assertThat(JudgementReference.score(JudgementReference.choose(regressions, pooled), regressions, pooled, regressions).detection())
                .isEqualTo(0.5);
        assertThat(JudgementReference.rollguardOneLook(regressions, calmOnly)).isEqualTo(0.5);
    }

    @Test
    void theReferencesTestIsChosenOnItsCalibrationReleasesAndScoredAsItIsOnOthers() {
        double[] thresholds = {1, 1, 1, 1, 1};
        // on the calibration's regressed releases the own-history test detects every one; on the scored ones it detects
        // none and every other candidate detects all: the reference is still the own-history test, at 0
        double[][] calibration = {{2, 0, 0, 0, 0}, {2, 0, 0, 0, 0}};
        double[][] scored = {{0, 2, 2, 2, 0}, {0, 2, 2, 2, 0}};
        JudgementReference.Test chosen = JudgementReference.choose(calibration, thresholds);
        assertThat(chosen).isEqualTo(JudgementReference.Test.OWN_HISTORY);
        assertThat(JudgementReference.score(chosen, scored, thresholds, calibration)).isEqualTo(new JudgementReference.Result(chosen, 0, 1, 1));
        assertThat(JudgementReference.exceeding(chosen, new double[][] {{1, 9, 9, 9, 9}, {1.5, 0, 0, 0, 0}}, thresholds))
                .as("strictly over its threshold").isEqualTo(1);
    }

    @Test
    void theReferenceIsOneTestAtOneThresholdWhateverReleasesItIsScoredOn() {
        JudgementReference.Calibration calibration = calibration(1);
        List<JudgementBenchmark.Row> seed3 = JudgementBenchmark.run(3, 4, 1, calibration, AnalysisSettings.DEFAULT);
        List<JudgementBenchmark.Row> seed4 = JudgementBenchmark.run(4, 4, 1, calibration, AnalysisSettings.DEFAULT);
        for (int i = 0; i < seed3.size(); i++) {
            JudgementTraces.Scenario s = seed3.get(i).scenario();
            if (s.healthy()) continue;
            double[] thresholds = calibration.thresholds().get(JudgementReference.look(s));
            JudgementReference.Test test = calibration.test(s, thresholds);
            double threshold = thresholds[test.ordinal()];
            double[] anyFamily = calibration.anyFamily().get(JudgementReference.anyFamily(s));
            JudgementReference.Test unknownTest = calibration.test(s, anyFamily);
            for (JudgementBenchmark.Row r : List.of(seed3.get(i), seed4.get(i))) {
                assertThat(r.reference().test()).as(s.name()).isEqualTo(test);
                assertThat(r.reference().threshold()).as(s.name()).isEqualTo(threshold);
                // the reference that does not know the family, too: never set on the seed's own healthy releases
                assertThat(r.unknownFamily().test()).as(s.name()).isEqualTo(unknownTest);
                assertThat(r.unknownFamily().threshold()).as(s.name()).isEqualTo(anyFamily[unknownTest.ordinal()]);
                assertThat(r.familyHealthy()).isEqualTo(4);
            }
        }
        // the calibration depends on its sizes alone, never on a seed: drawn again, it is the same
        JudgementReference.Calibration again = JudgementReference.calibrate(JudgementTraces.scenarios(1), 50, 20, AnalysisSettings.DEFAULT);
        calibration.thresholds().forEach((look, t) -> assertThat(again.thresholds().get(look)).containsExactly(t));
        calibration.anyFamily().forEach((look, t) -> assertThat(again.anyFamily().get(look)).containsExactly(t));
    }

    @Test
    void aHiccupOfTheCanaryIsSetAsideByTheTrimmedCandidateOnly() {
        List<Evidence.Window> history = new ArrayList<>();
        for (int t = 0; t < JudgementTraces.HISTORY; t++) history.add(new Evidence.Window(100, 1, 0, 0, null));
        List<Evidence.Window> canary = new ArrayList<>();
        for (int t = 0; t < JudgementTraces.SECONDS; t++) canary.add(new Evidence.Window(100, t == 5 ? 30 : 1, 0, 0, null));
        List<List<Evidence.Window>> baseline = new ArrayList<>();
        for (int h = 1; h < JudgementTraces.HOSTS; h++) {
            List<Evidence.Window> w = new ArrayList<>();
            for (int t = 0; t < JudgementTraces.LOOKBACK + JudgementTraces.SECONDS; t++) w.add(new Evidence.Window(100, 1, 0, 0, null));
            baseline.add(w);
        }
        JudgementTraces.Trace trace = new JudgementTraces.Trace(List.of(canary), List.of(history), baseline);
        double[] z = JudgementReference.statistics(trace, JudgementReference.Metric.ERRORS, 0, AnalysisSettings.DEFAULT);
        assertThat(z[JudgementReference.Test.OWN_HISTORY.ordinal()]).as("29 errors over 30 expected").isGreaterThan(4);
        assertThat(z[JudgementReference.Test.OWN_HISTORY_TRIMMED.ordinal()]).isLessThan(1);
        assertThat(z[JudgementReference.ROLLGUARD]).as("Rollguard sets the burst aside too").isLessThan(1);
    }

    @Test
    void kayentaStyleClassifiesAClearIncreaseHighAndIdenticalSeriesPass() {
        double[] control = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        double[] higher = {21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
        assertThat(KayentaStyleJudge.high(control, higher)).isTrue();
        assertThat(KayentaStyleJudge.high(higher, control)).as("direction: increase only").isFalse();
        assertThat(KayentaStyleJudge.high(control, control.clone())).isFalse();
        // the documented pitfall: a canary with a few errors against a baseline with none has them removed as outliers
        double[] zeros = new double[30];
        double[] fewErrors = new double[30];
        fewErrors[3] = 0.01;
        fewErrors[17] = 0.02;
        assertThat(KayentaStyleJudge.removeOutliers(fewErrors)).hasSize(28);
        assertThat(KayentaStyleJudge.high(KayentaStyleJudge.removeOutliers(zeros), KayentaStyleJudge.removeOutliers(fewErrors))).isFalse();
    }

    @Test
    void theMatchedComparisonPicksTheMostDetectionsWithinTheFalseRollbackBudget() {
        JudgementTraces.Scenario healthy = new JudgementTraces.Scenario("healthy", JudgementTraces.Noise.TYPICAL, null);
        JudgementTraces.Scenario bad = JudgementTraces.scenarios().stream().filter(x -> x.name().equals("5xx x2")).findFirst().orElseThrow();
        // grid point 0: no false rollback, detects 1 of 4; point 1: 1 false rollback, detects 4; point 2: 3 false, detects 4
        int[][] healthyAt = {{0, 0, 0, 0}, {5, 0, 0, 0}, {5, 6, 7, 0}};
        int[][] badAt = {{9, 0, 0, 0}, {3, 4, 5, 6}, {1, 2, 3, 4}};
        List<JudgementBenchmark.Row> rows = List.of(row(healthy, healthyAt), row(bad, badAt));
        List<String> grid = List.of("strict", "middle", "loose");
        assertThat(JudgementMatched.choose(rows, JudgementBenchmark.Row::flaggerAt, grid, 1))
                .isEqualTo(new JudgementMatched.Choice(1, "middle", 1, true));
        assertThat(JudgementMatched.choose(rows, JudgementBenchmark.Row::flaggerAt, grid, 0))
                .isEqualTo(new JudgementMatched.Choice(0, "strict", 0, true));
        // nothing within the budget: the fewest false rollbacks, said to be unmatched
        int[][] allFalse = {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 1, 1, 0}};
        assertThat(JudgementMatched.choose(List.of(row(healthy, allFalse), row(bad, badAt)), JudgementBenchmark.Row::flaggerAt, grid, 0))
                .isEqualTo(new JudgementMatched.Choice(0, "strict", 1, false));
    }

    private static JudgementBenchmark.Row row(JudgementTraces.Scenario s, int[][] flaggerAt) {
        int[][] at = new int[JudgementBenchmark.JUDGES.length][4];
        return new JudgementBenchmark.Row(s, at, new long[at.length][4], Map.of(), new int[0][4], new int[0][4], flaggerAt, null, null, 0, 0,
                0, 0, 0);
    }

    /** A small calibration of the reference: 50 healthy releases per family, 20 regressed per scenario. */
    private static JudgementReference.Calibration calibration(int canaries) {
        return JudgementReference.calibrate(JudgementTraces.scenarios(canaries), 50, 20, AnalysisSettings.DEFAULT);
    }

    private static String table(List<JudgementBenchmark.Row> rows, long seed, int runs) {
        StringWriter s = new StringWriter();
        JudgementBenchmark.print(List.of(new JudgementBenchmark.SeedRun(seed, rows)), runs, new PrintWriter(s));
        return s.toString();
    }
}
