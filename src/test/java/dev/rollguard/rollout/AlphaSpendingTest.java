package dev.rollguard.rollout;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AlphaSpendingTest {
    private static final NormalDistribution NORMAL = new NormalDistribution();

    @Test
    void theBudgetIsSpentMostlyAtTheEndOfEachBakeAndNeverOverAlpha() {
        AlphaSpending a = AlphaSpending.of(0.004, 30, 0.75);
        assertThat(a.spent(30)).isCloseTo(0.003, within(1e-12));
        assertThat(a.spent(15)).as("O'Brien-Fleming-like: a small part by mid-bake").isLessThan(0.1 * 0.003);
        assertThat(a.spent(60)).isCloseTo(0.003 + 0.0005, within(1e-12));
        assertThat(a.spent(AlphaSpending.MAX_BAKES * 30 + 500)).isLessThanOrEqualTo(0.004);
        for (int k = 1; k < 200; k++) assertThat(a.spent(k + 1)).isGreaterThanOrEqualTo(a.spent(k));
    }

    @Test
    void boundariesFallThroughTheBakeAndEndBetweenTheOneLookAndTheContinuousValues() {
        AlphaSpending a = AlphaSpending.of(0.004, 30, 0.75);
        for (int k = 2; k <= 30; k++) assertThat(a.boundary(k)).isLessThanOrEqualTo(a.boundary(k - 1));
        double last = a.boundary(30);
        // one look at 0.003 needs z 2.75; watching a Brownian motion continuously with the same spending, 2.97
        assertThat(last).isGreaterThan(-NORMAL.inverseCumulativeProbability(0.003));
        assertThat(last).isLessThan(-NORMAL.inverseCumulativeProbability(0.0015));
        assertThat(last).as("the last look keeps most of the bake's budget: under one look at the share the looks before left")
                .isLessThan(-NORMAL.inverseCumulativeProbability((1 - AlphaSpending.INTERIM_SHARE) * 0.003));
        assertThat(a.boundary(29) - last).as("the looks before the last are strict").isGreaterThan(0.2);
        assertThat(a.boundary(31)).as("a new bake starts with a high boundary again").isGreaterThan(last);
    }

    /** The boundaries keep their promise: a random walk of standard normal steps crosses them as often as the budget says. */
    @Test
    void aHealthyStatisticCrossesAsOftenAsTheBudgetAllows() {
        AlphaSpending a = AlphaSpending.of(0.05, 30, 0.75);
        SplittableRandom rnd = new SplittableRandom(26);
        int paths = 100_000;
        int crossed30 = 0;
        int crossed60 = 0;
        for (int p = 0; p < paths; p++) {
            double s = 0;
            for (int k = 1; k <= 60; k++) {
                s += gaussian(rnd);
                if (s / Math.sqrt(k) >= a.boundary(k)) {
                    if (k <= 30) crossed30++;
                    crossed60++;
                    break;
                }
            }
        }
        // 0.0375 by the end of the first bake, 0.0375 + 0.00625 by the end of the second; binomial sd about 0.0006
        assertThat((double) crossed30 / paths).isCloseTo(a.spent(30), within(0.0025));
        assertThat((double) crossed60 / paths).isCloseTo(a.spent(60), within(0.0025));
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = Math.max(1e-300, rnd.nextDouble());
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }
}
