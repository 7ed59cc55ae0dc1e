package dev.rollguard.rollout;

import dev.rollguard.health.Counts;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.rollguard.rollout.Analysis.Verdict.CONTINUE;
import static dev.rollguard.rollout.Analysis.Verdict.FAIL;
import static dev.rollguard.rollout.Analysis.Verdict.PASS;
import static org.assertj.core.api.Assertions.assertThat;

class AnalysisTest {
    private static final Analysis.Settings S = Analysis.Settings.DEFAULT;

    @Test
    void everyRequestFailingIsCaughtByTheCeilingAlmostAtOnce() {
        Analysis.Decision d = Analysis.decide(new Counts(5, 5, 0, 0), new Counts(1000, 1, 0, 0), S);
        assertThat(d.verdict()).isEqualTo(FAIL);
        assertThat(d.reason()).contains("over the 5.00% ceiling");
        assertThat(d.numbers()).containsEntry("canaryErrors", 5L);
        assertThat(Analysis.decide(new Counts(4, 4, 0, 0), new Counts(1000, 1, 0, 0), S).verdict())
                .as("fewer than minErrorCount errors: not yet the ceiling, but the SPRT").isEqualTo(FAIL);
    }

    @Test
    void healthyCanaryPassesAfterEnoughEvidenceAndNotBefore() {
        assertThat(Analysis.decide(new Counts(10, 0, 0, 0), new Counts(1000, 1, 0, 0), S).verdict()).isEqualTo(CONTINUE);
        assertThat(Analysis.decide(new Counts(3000, 1, 0, 0), new Counts(3000, 1, 0, 0), S).verdict()).isEqualTo(PASS);
    }

    @Test
    void modestRegressionFailsBySprtNotByCeiling() {
        // baseline 0.5%, canary 3%: under the 5% ceiling, clearly worse
        Analysis.Decision d = Analysis.decide(new Counts(2000, 60, 0, 0), new Counts(20000, 100, 0, 0), S);
        assertThat(d.verdict()).isEqualTo(FAIL);
        assertThat(d.reason()).startsWith("SPRT");
        assertThat((double) d.numbers().get("llr")).isGreaterThanOrEqualTo((double) d.numbers().get("llrFailAt"));
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
}
