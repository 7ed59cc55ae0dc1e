package dev.rollguard.incident;

import dev.rollguard.health.HealthStore.Sample;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What an incident cost, from the hosts' own samples: only what the release caused, the worst second, the times. */
class ImpactTest {
    /** On a whole second, so that the per-second peak below is exact. */
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Sample sample(double from, double to, int version, long requests, long errors, Instant firstErrorAt) {
        return new Sample(T0.plusMillis((long) (from * 1000)), T0.plusMillis((long) (to * 1000)), version, requests, errors, 10, requests,
                firstErrorAt);
    }

    @Test
    void onlyWhatTheReleaseCausedCountsAndTheTimesRunFromItsFirstError() {
        Instant firstBad = T0.plusMillis(1500);
        Map<String, List<Sample>> samples = Map.of(
                // 10 % failing before the release and as much after on v1 (noise), then v2 fails every request
                "a", List.of(sample(-10, -1, 1, 100, 10, null), sample(0, 1, 1, 100, 10, null), sample(1, 2, 2, 100, 100, firstBad)),
                // healthy, never on v2
                "b", List.of(sample(0, 2, 1, 200, 0, null)),
                // failing everything since before the release (no config at all), never on v2: not the release's doing
                "c", List.of(sample(-5, -1, 1, 50, 50, T0.minusSeconds(5)), sample(0, 2, 1, 100, 100, T0)));
        Impact i = Impact.compute(samples, 2, T0, T0.plusSeconds(5), T0.plusSeconds(3), T0.plusSeconds(4), T0.plusSeconds(1));

        assertThat(i.requestsTotal()).isEqualTo(500);
        assertThat(i.requestsFailed()).isEqualTo(100);
        assertThat(i.percentFailed()).isEqualTo(20.0);
        assertThat(i.hostsAffected()).isEqualTo(1);
        assertThat(i.hostsTotal()).isEqualTo(3);
        // second 1: a's 100 failed of 100, b's half of 200, c's half of 100 → 100 of 250
        assertThat(i.peakPercent()).isEqualTo(40.0);
        assertThat(i.firstErrorAt()).isEqualTo(firstBad);
        assertThat(i.timeToDetectMillis()).isEqualTo(1500);
        assertThat(i.timeToMitigateMillis()).isEqualTo(2500);
        // a recovery stamped before the first error (clocks of different hosts) is never negative
        assertThat(i.timeToRecoverMillis()).isZero();

        // without a bad version every failure in the window counts, c's included
        assertThat(Impact.compute(samples, null, T0, T0.plusSeconds(5), null, null, null).requestsFailed()).isEqualTo(210);
    }

    @Test
    void failuresOnOtherVersionsCountOnlyBeyondTheHostsOwnNoise() {
        // a host that failed on v2 and, around the switch, far beyond its 10 % on v1: 60 - 10 expected = 50 caused there
        // b, also on v2, went 4 over its expected 10 on v1: within three standard deviations, noise, so only its v2 failure counts
        Map<String, List<Sample>> samples = Map.of(
                "a", List.of(sample(-10, -1, 1, 100, 10, null), sample(0, 1, 1, 100, 60, T0), sample(1, 2, 2, 10, 10, T0.plusSeconds(1))),
                "b", List.of(sample(-10, -1, 1, 100, 10, null), sample(0, 1, 1, 100, 14, T0), sample(1, 2, 2, 10, 1, T0.plusSeconds(1))));
        Impact i = Impact.compute(samples, 2, T0, T0.plusSeconds(2), null, null, null);
        assertThat(i.requestsFailed()).isEqualTo(61);
        assertThat(i.hostsAffected()).isEqualTo(2);
        assertThat(i.firstErrorAt()).isEqualTo(T0);
        assertThat(i.timeToDetectMillis()).isNull();
    }

    @Test
    void whileItLastsThePeakCountsOnlySecondsEveryHostHasReportedPast() {
        // b has reported up to second 1 only: second 1's traffic is a's alone so far, and would read as 100 %
        Map<String, List<Sample>> samples = Map.of(
                "a", List.of(sample(0, 1, 2, 10, 1, T0), sample(1, 2, 2, 10, 10, T0.plusSeconds(1))),
                "b", List.of(sample(0, 1, 1, 10, 0, null)));
        assertThat(Impact.compute(samples, 2, T0, T0.plusSeconds(2), null, null, null, false).peakPercent()).isEqualTo(100.0);
        assertThat(Impact.compute(samples, 2, T0, T0.plusSeconds(2), null, null, null, true).peakPercent()).isEqualTo(5.0);
    }

    @Test
    void aSampleSpanningSecondsIsSpreadOverThemInProportion() {
        // 2.5 s of traffic, ending half-way through the third second, errors alike: each whole second holds 40 %, none 100 %
        Map<String, List<Sample>> samples = Map.of("a", List.of(sample(0, 2.5, 2, 250, 100, T0)));
        Impact i = Impact.compute(samples, 2, T0, T0.plusSeconds(3), null, null, null);
        assertThat(i.peakPercent()).isEqualTo(40.0);
        assertThat(i.requestsFailed()).isEqualTo(100);
        assertThat(Impact.compute(Map.of(), 2, T0, T0.plusSeconds(3), null, null, null)).extracting(Impact::requestsTotal, Impact::hostsTotal)
                .containsExactly(0L, 0);
    }
}
