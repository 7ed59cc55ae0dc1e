package dev.rollguard.sandbox;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A sandbox detected on first use: nothing is probed until something asks, then once, and it answers as detected. */
class SandboxOnFirstUseTest {
    @Test
    void detectsOnceWhenFirstAskedAndAnswersAsTheDetectedSandbox() {
        AtomicInteger probes = new AtomicInteger();
        Sandbox found = Sandbox.unavailable("bubblewrap (bwrap) is not installed");
        Sandbox sandbox = Sandbox.onFirstUse(() -> {
            probes.incrementAndGet();
            return found;
        });
        assertThat(probes).hasValue(0);

        assertThat(sandbox.available()).isFalse();
        assertThat(sandbox.unavailableReason()).isEqualTo("bubblewrap (bwrap) is not installed");
        assertThat(sandbox.describe()).startsWith("sandbox unavailable: bubblewrap (bwrap) is not installed");
        Job job = new Job(List.of("/bin/true"), List.of(), Map.of(), "/", Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(5)), false);
        assertThatThrownBy(() -> sandbox.commandLine(job)).hasMessageContaining("sandbox unavailable");
        assertThat(sandbox.slots()).isSameAs(found.slots());
        assertThat(probes).hasValue(1);
        sandbox.close();
    }

    @Test
    void closingOneNeverAskedProbesNothing() {
        AtomicInteger probes = new AtomicInteger();
        Sandbox.onFirstUse(() -> {
            probes.incrementAndGet();
            return Sandbox.unavailable("x");
        }).close();
        assertThat(probes).hasValue(0);
    }
}
