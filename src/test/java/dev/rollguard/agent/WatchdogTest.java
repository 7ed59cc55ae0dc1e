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

    @Test
    void theOldWorkersLastSuccessesAfterAGracefulRestartDoNotHideTheNewVersionFailingEveryRequest() {
        // 4 requests a second: for the first 2.5 s after the switch the old workers still answer (10 successes), then
        // every request fails. From the switch alone, 80 % takes 40 failures (10 s: the window is over); over the last
        // 3 s the watchdog reverts once that stretch holds only the new version's answers
        Watchdog.Watch w = new Watchdog.Watch(Watchdog.Settings.DEFAULT, 0, new long[] {1000, 3});
        long requests = 1000;
        long errors = 3;
        Watchdog.Decision d = new Watchdog.Keep();
        long at = 0;
        for (int tick = 1; tick <= 40 && d instanceof Watchdog.Keep; tick++) {
            at = tick * 250_000_000L;
            requests++;
            if (tick > 10) errors++;
            d = w.observe(at, new long[] {requests, errors});
        }
        assertThat(d).isInstanceOf(Watchdog.Revert.class);
        assertThat(at / 1e9).as("seconds after the switch").isBetween(5.0, 6.5);
        assertThat(Watchdog.decide(requests - 1000, errors - 3, Duration.ofNanos(at), Watchdog.Settings.DEFAULT))
                .as("from the switch alone, not yet").isInstanceOf(Watchdog.Keep.class);
    }

    @Test
    void aHealthyHostIsKeptOverTheLastSecondsToo() {
        Watchdog.Watch w = new Watchdog.Watch(Watchdog.Settings.DEFAULT, 0, new long[] {0, 0});
        for (int tick = 1; tick <= 40; tick++) {
            // one request in ten fails: degraded, not a hard failure
            assertThat(w.observe(tick * 250_000_000L, new long[] {tick, tick / 10})).isInstanceOf(Watchdog.Keep.class);
        }
        assertThat(w.over(10_000_000_001L)).isTrue();
        assertThat(w.over(9_000_000_000L)).isFalse();
    }
}
