package dev.rollguard.agent;

import dev.rollguard.protocol.HealthSample;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class HealthWindowTest {
    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    @Test
    void theFirstFailureIsTheEarliestEvenWhenItsThreadArrivesLate() {
        HealthWindow w = new HealthWindow(T0);
        // two failing requests on two threads: the one that ended first was held up before it reached the window
        w.record(200, 3, T0.plusMillis(5));
        w.record(500, 3, T0.plusMillis(180));
        w.record(503, 3, T0.plusMillis(40));
        HealthSample s = w.drain(T0.plusSeconds(1), 2);
        assertThat(s.errors()).isEqualTo(2);
        assertThat(s.firstErrorAt()).isEqualTo(T0.plusMillis(40));
        // the next window starts without one
        w.record(200, 3, T0.plusMillis(1100));
        assertThat(w.drain(T0.plusSeconds(2), 2).firstErrorAt()).isNull();
    }
}
