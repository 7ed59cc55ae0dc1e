package dev.rollguard.agent;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 28: the agent waits at least as long as a busy server's Retry-After says, spread so a fleet does not return at once. */
class UnavailableTest {
    private static HttpHeaders retryAfter(String value) {
        return HttpHeaders.of(Map.of("Retry-After", List.of(value)), (a, b) -> true);
    }

    @Test
    void retryAfterInSecondsIsHonouredAndBounded() {
        assertThat(Unavailable.retryAfter(retryAfter("2"))).isEqualTo(Duration.ofSeconds(2));
        assertThat(Unavailable.retryAfter(retryAfter("86400"))).isEqualTo(Unavailable.MAX_RETRY_AFTER);
        assertThat(Unavailable.retryAfter(retryAfter("Wed, 21 Oct 2026 07:28:00 GMT"))).isNull();
        assertThat(Unavailable.retryAfter(HttpHeaders.of(Map.of(), (a, b) -> true))).isNull();

        Unavailable busy = new Unavailable("server answered 503", Duration.ofSeconds(2));
        for (int i = 0; i < 200; i++) {
            assertThat(Unavailable.waitMillis(500, busy)).isBetween(2_000L, 3_000L);
            assertThat(Unavailable.waitMillis(10_000, busy)).as("a longer backoff stands").isEqualTo(10_000L);
        }
        assertThat(Unavailable.waitMillis(500, new Unavailable("server answered 500", null))).isEqualTo(500L);
        assertThat(Unavailable.waitMillis(500, new IOException("reset"))).isEqualTo(500L);
    }
}
