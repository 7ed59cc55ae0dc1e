package dev.rollguard.agent;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WatchdogTest {
    private static final Watchdog.Settings S = new Watchdog.Settings(Duration.ofSeconds(10), 10, 0.8);
    private static final Duration EARLY = Duration.ofMillis(400);

    @Test
    void everyRequestFailingOverTheMinimumReverts() {
        Watchdog.Decision d = Watchdog.decide(10, 10, EARLY, S);
        assertThat(d).isInstanceOf(Watchdog.Revert.class);
        assertThat(((Watchdog.Revert) d).reason()).contains("10 of 10 requests failed", "0.4 s after the switch", "reverted locally");
    }

    @Test
    void theShareIsInclusiveAtItsLimit() {
        assertThat(Watchdog.decide(10, 8, EARLY, S)).isInstanceOf(Watchdog.Revert.class);
        assertThat(Watchdog.decide(10, 7, EARLY, S)).isInstanceOf(Watchdog.Keep.class);
        assertThat(Watchdog.decide(1000, 800, EARLY, S)).isInstanceOf(Watchdog.Revert.class);
        assertThat(Watchdog.decide(1000, 799, EARLY, S)).isInstanceOf(Watchdog.Keep.class);
    }

    @Test
    void tooFewRequestsAreNoVerdict() {
        assertThat(Watchdog.decide(9, 9, EARLY, S)).isInstanceOf(Watchdog.Keep.class);
        assertThat(Watchdog.decide(0, 0, EARLY, S)).isInstanceOf(Watchdog.Keep.class);
    }

    @Test
    void aHealthyOrMerelyDegradedHostIsKept() {
        assertThat(Watchdog.decide(500, 0, EARLY, S)).isInstanceOf(Watchdog.Keep.class);
        // a partial failure is the server's canary analysis to judge, with a baseline: not a local hard failure
        assertThat(Watchdog.decide(500, 200, EARLY, S)).isInstanceOf(Watchdog.Keep.class);
    }

    @Test
    void afterItsWindowTheWatchdogNoLongerActs() {
        assertThat(Watchdog.decide(100, 100, Duration.ofSeconds(10), S)).isInstanceOf(Watchdog.Revert.class);
        assertThat(Watchdog.decide(100, 100, Duration.ofMillis(10_001), S)).isInstanceOf(Watchdog.Keep.class);
    }

    @Test
    void theDefaultActsOnAsFewErrorsAsTheServersCeilingRule() {
        assertThat(Watchdog.decide(5, 4, EARLY, Watchdog.Settings.DEFAULT)).isInstanceOf(Watchdog.Revert.class);
        assertThat(Watchdog.decide(4, 4, EARLY, Watchdog.Settings.DEFAULT)).isInstanceOf(Watchdog.Keep.class);
    }

    @Test
    void nonsenseSettingsAreRefused() {
        assertThatThrownBy(() -> new Watchdog.Settings(Duration.ZERO, 10, 0.8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Watchdog.Settings(Duration.ofSeconds(1), 0, 0.8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Watchdog.Settings(Duration.ofSeconds(1), 10, 1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Watchdog.Settings(Duration.ofSeconds(1), 10, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
