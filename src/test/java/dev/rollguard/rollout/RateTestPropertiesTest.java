package dev.rollguard.rollout;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class RateTestPropertiesTest {
    /** The burst candidates are a stable sort's first k by rate, highest first: selected, never all sorted. */
    @Property
    void theHighestRatesAreAStableSortsFirstWindows(@ForAll long seed, @ForAll @IntRange(min = 1, max = 150) int windows,
                                                     @ForAll @IntRange(min = 1, max = 30) int k) {
        Random rnd = new Random(seed);
        long[] trials = new long[windows];
        long[] hits = new long[windows];
        for (int i = 0; i < windows; i++) {
            // few distinct rates, and windows without trials: ties and the -1 rank are the cases that matter
            trials[i] = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextInt(5);
            hits[i] = trials[i] == 0 ? 0 : rnd.nextInt((int) trials[i] + 1);
        }
        int take = Math.min(k, windows);
        Integer[] order = new Integer[windows];
        for (int i = 0; i < windows; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(rate(trials, hits, b), rate(trials, hits, a)));
        int[] expected = Arrays.stream(order).limit(take).mapToInt(Integer::intValue).toArray();
        assertThat(RateTest.highestRates(trials, hits, take)).containsExactly(expected);
    }

    private static double rate(long[] trials, long[] hits, int i) {
        return trials[i] == 0 ? -1 : (double) hits[i] / trials[i];
    }
}
