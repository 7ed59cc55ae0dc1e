package dev.rollguard.rollout;

import dev.rollguard.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rollout event's data as the events table stores it and the API, the dashboard and postmortems show it: the typed
 * grounds of a decision keep the names (and order) the timeline has always had.
 */
class EventDataTest {
    private static final Grounds.Totals TOTALS = new Grounds.Totals(100, 5, 0.05, 1000, 1, 0.001);

    @Test
    void theAnalysisNumbersKeepTheirNamesAndOrder() {
        Grounds.RateNumbers errors = new Grounds.RateNumbers(new Grounds.WorstHost(0.001, 0.002, "h1", 0.0015, 500), 0.5, 3.1, 2.9, 0.05,
                0.001, 0.0, 1.2, 3, List.of("bad"), 4);
        Grounds.RateNumbers slow = new Grounds.RateNumbers(new Grounds.WorstHost(0.05, 0.1, "h2", 0.06, 700), 10.0, 1.0, 3.0, 0.2, 0.05,
                0.5, 1.0, 3, List.of(), 0);
        Grounds.Numbers n = Grounds.Numbers.of(TOTALS).withErrorTest(errors).withLatency(new Grounds.Latency(250.0, slow));
        assertThat(Json.write(EventData.of(n))).isEqualTo("{\"canaryRequests\":100,\"canaryErrors\":5,\"canaryErrorRate\":0.05,"
                + "\"baselineRequests\":1000,\"baselineErrors\":1,\"baselineErrorRate\":0.001,\"p0\":0.001,\"p1\":0.002,\"canaryHost\":\"h1\","
                + "\"canaryHostExpected\":0.0015,\"canaryHostHistory\":500,\"expectedHits\":0.5,\"z\":3.1,\"zFailAt\":2.9,\"hostSpread\":0.0,"
                + "\"fleetDrift\":1.2,\"baselineHostsUsed\":3,\"baselineHostsLeftOut\":[\"bad\"],\"burstSecondsSetAside\":4,"
                + "\"latencyThresholdMs\":250.0,\"slowP0\":0.05,\"slowP1\":0.1,\"slowCanaryHost\":\"h2\",\"slowCanaryHostExpected\":0.06,"
                + "\"slowCanaryHostHistory\":700,\"slowExpectedHits\":10.0,\"slowZ\":1.0,\"slowZFailAt\":3.0,\"canarySlowFraction\":0.2,"
                + "\"baselineSlowFraction\":0.05,\"slowHostSpread\":0.5,\"slowFleetDrift\":1.0,\"slowBaselineHostsUsed\":3}");
    }

    @Test
    void aGuardThatStoppedTheAnalysisShowsItsOwnNumbersOnly() {
        assertThat(Json.write(EventData.of(Grounds.Numbers.of(TOTALS).withCeiling(0.031)))).endsWith("\"baselineErrorRate\":0.001,\"canaryErrorRateLow\":0.031}");
        assertThat(Json.write(EventData.of(Grounds.Numbers.of(TOTALS).withFailFast(new Grounds.FailFast("h1", 20, 19)))))
                .endsWith("\"baselineErrorRate\":0.001,\"failFastHost\":\"h1\",\"failFastRequests\":20,\"failFastErrors\":19}");
        assertThat(Json.write(EventData.of(Grounds.Numbers.of(TOTALS).withP99(new Grounds.P99(900.0, 120.0)))))
                .endsWith("\"baselineErrorRate\":0.001,\"canaryP99Ms\":900.0,\"baselineP99Ms\":120.0}");
    }

    @Test
    void aRollbackCarriesItsGroundsThenItsHostsAndTheVersionTheyGoBackTo() {
        var silent = new RolloutEvent.RollbackStarted(true, null, "host h1 stopped heart-beating", new Grounds.Host("h1"), List.of("h1"), 3);
        assertThat(Json.write(EventData.of(silent))).isEqualTo("{\"host\":\"h1\",\"hosts\":[\"h1\"],\"toVersion\":3}");
        var manual = new RolloutEvent.RollbackStarted(false, "carol", null, null, List.of("h1", "h2"), null);
        assertThat(Json.write(EventData.of(manual))).isEqualTo("{\"hosts\":[\"h1\",\"h2\"],\"toVersion\":\"none\"}");
        var paused = new RolloutEvent.PausedOnFailure("5xx", Grounds.Numbers.of(TOTALS), List.of("h1"));
        assertThat(Json.write(EventData.of(paused))).startsWith("{\"canaryRequests\":100,").endsWith("\"hosts\":[\"h1\"]}");
    }

    @Test
    void aRealDecisionIsShownWithItsVerdictAndWave() {
        Analysis.Decision d = new Analysis.Decision(Analysis.Verdict.FAIL, Analysis.Check.NONE, "host h1 did not apply", new Grounds.Host("h1"));
        assertThat(d.numbers()).as("one host decided: no analysis numbers").isNull();
        assertThat(Json.write(EventData.of(new RolloutEvent.AnalysisDecided(2, d)))).isEqualTo("{\"host\":\"h1\",\"verdict\":\"FAIL\",\"wave\":2}");
    }
}
