package dev.rollguard.health;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/** Marks by environment, each taken once, and only of watched environments: what the orchestrator's view reads again. */
class ChangedHostsTest {
    static final ChangedHosts.Env PRODUCTION = new ChangedHosts.Env("wp", "production");
    static final ChangedHosts.Env TESTING = new ChangedHosts.Env("wp", "testing");

    @Test
    void marksAreTakenOncePerEnvironmentAndAHostIsMarkedOnceWithItsLastMark() {
        ChangedHosts<Integer> changed = new ChangedHosts<>();
        changed.watch(Set.of(PRODUCTION, TESTING));
        assertThat(changed.take("wp", "production")).isEmpty();
        changed.mark("wp", "production", "h1", 1);
        changed.mark("wp", "production", "h1", 2);
        changed.mark("wp", "production", "h2", 1);
        changed.mark("wp", "testing", "h1", 1);
        assertThat(changed.take("wp", "production")).containsOnly(entry("h1", 2), entry("h2", 1));
        assertThat(changed.take("wp", "production")).as("taken: forgotten").isEmpty();
        changed.mark("wp", "production", "h2", 3);
        assertThat(changed.take("wp", "production")).containsOnly(entry("h2", 3));
        assertThat(changed.take("wp", "testing")).containsOnly(entry("h1", 1));
    }

    @Test
    void environmentsNotWatchedKeepNoMarks() {
        ChangedHosts<Integer> changed = new ChangedHosts<>();
        changed.mark("wp", "production", "h1", 1);
        assertThat(changed.take("wp", "production")).as("nobody watches: nothing kept").isEmpty();
        changed.watch(Set.of(PRODUCTION, TESTING));
        changed.mark("wp", "production", "h1", 1);
        changed.mark("wp", "testing", "h1", 1);
        changed.watch(Set.of(TESTING));
        changed.mark("wp", "production", "h2", 1);
        assertThat(changed.take("wp", "production")).as("no longer watched: its marks forgotten, new ones not kept").isEmpty();
        assertThat(changed.take("wp", "testing")).containsOnly(entry("h1", 1));
    }
}
