package dev.rollguard.rollout;

import dev.rollguard.config.RolloutPolicy;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The one place a host is declared dead: heard from within the heartbeat timeout, or not. */
class HostInfoTest {
    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

    @Property
    void aHostIsAliveExactlyUntilItsTimeoutHasPassed(@ForAll @LongRange(min = 0, max = 120_000) long silentMillis,
                                                     @ForAll @IntRange(min = 1, max = 60) int timeoutSeconds) {
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        boolean alive = HostInfo.alive(T0, T0.plusMillis(silentMillis), timeout);
        assertThat(alive).isEqualTo(silentMillis <= timeout.toMillis());
    }

    @Property
    void aLongerTimeoutNeverDeclaresDeadAHostAShorterOneKeepsAlive(@ForAll @LongRange(min = 0, max = 120_000) long silentMillis,
                                                                   @ForAll @IntRange(min = 1, max = 60) int shorter, @ForAll @IntRange(min = 0, max = 60) int more) {
        Instant now = T0.plusMillis(silentMillis);
        if (HostInfo.alive(T0, now, Duration.ofSeconds(shorter))) assertThat(HostInfo.alive(T0, now, Duration.ofSeconds(shorter + more))).isTrue();
    }

    @Test
    void aHostNeverHeardFromIsDeadAndTheTimeoutIsThePolicys() {
        assertThat(HostInfo.alive(null, T0, Duration.ofDays(1))).isFalse();
        HostInfo h = new HostInfo("wp", "production", "h1", null, T0, T0, 1, 1, null, null);
        Duration timeout = RolloutPolicy.defaults().heartbeatTimeout();
        assertThat(timeout).isEqualTo(Duration.ofSeconds(10));
        assertThat(h.alive(T0.plus(timeout), timeout)).isTrue();
        assertThat(h.alive(T0.plus(timeout).plusMillis(1), timeout)).isFalse();
    }
}
