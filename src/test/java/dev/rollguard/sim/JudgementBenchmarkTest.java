package dev.rollguard.sim;

import dev.rollguard.config.AnalysisSettings;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JudgementBenchmarkTest {
    @Test
    void sameSeedSameTableAndTheObviousCasesComeOutRight() {
        List<JudgementBenchmark.Row> a = JudgementBenchmark.run(3, 3, AnalysisSettings.DEFAULT);
        List<JudgementBenchmark.Row> b = JudgementBenchmark.run(3, 3, AnalysisSettings.DEFAULT);
        assertThat(table(a, 3, 3)).isEqualTo(table(b, 3, 3));
        JudgementBenchmark.Row total = a.stream().filter(r -> r.scenario().name().equals("total failure")).findFirst().orElseThrow();
        for (int judge = 0; judge < 3; judge++) assertThat(total.count(judge, JudgementTraces.SECONDS)).isEqualTo(3);
        assertThat(total.count(0, 1)).as("Rollguard: within the first report").isEqualTo(3);
        assertThat(table(a, 3, 3)).contains("| healthy: 1,000 req/s |", "targets (issue 18):");
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

    private static String table(List<JudgementBenchmark.Row> rows, long seed, int runs) {
        StringWriter s = new StringWriter();
        JudgementBenchmark.print(rows, seed, runs, new PrintWriter(s));
        return s.toString();
    }
}
