package dev.rollguard.health;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Marks by environment, each taken once: what the orchestrator's view reads again. */
class ChangedHostsTest {
    @Test
    void marksAreTakenOncePerEnvironmentAndAHostIsMarkedOnce() {
        ChangedHosts changed = new ChangedHosts();
        assertThat(changed.take("wp", "production")).isEmpty();
        changed.mark("wp", "production", "h1");
        changed.mark("wp", "production", "h1");
        changed.mark("wp", "production", "h2");
        changed.mark("wp", "testing", "h1");
        assertThat(changed.take("wp", "production")).containsExactlyInAnyOrder("h1", "h2");
        assertThat(changed.take("wp", "production")).as("taken: forgotten").isEmpty();
        changed.mark("wp", "production", "h2");
        assertThat(changed.take("wp", "production")).containsExactly("h2");
        assertThat(changed.take("wp", "testing")).containsExactly("h1");
    }
}
