package dev.rollguard.rollout;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The quantile where a user's alpha lives: 1e-20 is a valid alpha and must give a finite z (it gave +Infinity). */
class NormalTailTest {

    @Test
    void quantilesAreExactFarIntoTheTail() {
        assertThat(NormalTail.quantile(0.05)).isCloseTo(1.6448536, within(1e-6));
        assertThat(NormalTail.quantile(1e-3)).isCloseTo(3.0902323, within(1e-6));
        assertThat(NormalTail.quantile(1e-20)).isCloseTo(9.2623, within(1e-3));
        // everywhere else: the quantile's own tail is p again, to nine digits (the tail comes from erfc, exact out there)
        for (double p = 1e-300; p < 0.5; p *= 7.3) {
            double z = NormalTail.quantile(p);
            assertThat(NormalTail.upper(z) / p).as("p=%s z=%s", p, z).isCloseTo(1, within(1e-9));
        }
        assertThat(NormalTail.quantile(0)).isEqualTo(NormalTail.FAR);
    }

    @Test
    void theCeilingStopsATotalFailureAtATinyAlpha() {
        // Analysis' 5xx ceiling: 40 errors of 40 requests is over a 5% ceiling even at alpha 1e-20 (the bound was NaN)
        assertThat(RateTest.wilsonLower(40, 40, NormalTail.quantile(1e-20))).isGreaterThan(0.3);
    }
}
