package dev.rollguard.health;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HealthStoreTest {
    private static final Instant T0 = Instant.parse("2026-11-27T08:00:00Z");

    private static HealthStore.Sample window(int fromMillis, int toMillis, long errors) {
        return new HealthStore.Sample(T0.plusMillis(fromMillis), T0.plusMillis(toMillis), 2, 10, errors, 1, 10);
    }

    /** An agent resends what it has not heard acknowledged: a window reported twice is stored once. */
    @Test
    void aWindowReportedAgainIsStoredOnce() {
        HealthStore store = new HealthStore();
        HealthStore.Sample a = window(0, 250, 10);
        HealthStore.Sample b = window(250, 500, 8);
        store.add("wp", "production", "h1", List.of(a), T0.plusSeconds(1));
        store.add("wp", "production", "h1", List.of(a, b), T0.plusSeconds(1));
        store.add("wp", "production", "h1", List.of(b), T0.plusSeconds(1));
        assertThat(store.samplesByHost("wp", "production", T0).get("h1")).containsExactly(a, b);
        assertThat(store.sum("wp", "production", "h1", 2, T0).errors()).isEqualTo(18);
    }
}
