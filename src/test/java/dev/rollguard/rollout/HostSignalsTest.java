package dev.rollguard.rollout;

import dev.rollguard.TestServer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A long-poll that subscribes while another wake-up is under way is still reachable by the next one. */
class HostSignalsTest {
    @Test
    void noPollIsOrphanedByAConcurrentWakeUp() throws Exception {
        HostSignals signals = new HostSignals();
        List<CompletableFuture<HostSignals.Desired>> polls = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        Thread subscriber = new Thread(() -> {
            await(start);
            for (int i = 0; i < 20_000; i++) polls.add(signals.await("wp", "prod", "h1"));
        });
        Thread waker = new Thread(() -> {
            await(start);
            for (int i = 0; i < 20_000; i++) signals.wake("wp", "prod", List.of("h1"), new HostSignals.Desired(1));
        });
        subscriber.start();
        waker.start();
        start.countDown();
        subscriber.join();
        waker.join();
        // the release after all that: every poll still waiting must hear of it
        signals.wake("wp", "prod", List.of("h1"), new HostSignals.Desired(2));
        CompletableFuture.allOf(polls.toArray(new CompletableFuture[0])).get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(polls).allMatch(CompletableFuture::isDone);
        assertThat(signals.waiting()).isZero();
    }

    /** Issue 28: waits end at their deadline through one shared sweep (no timer per wait), and a wake-up still ends them first. */
    @Test
    void waitsEndAtTheirDeadlineUnlessWokenFirst() {
        HostSignals signals = new HostSignals();
        long now = System.nanoTime();
        var soon = signals.await("wp", "prod", "h1", now + TimeUnit.MILLISECONDS.toNanos(300));
        var past = signals.await("wp", "prod", "h2", now - TimeUnit.SECONDS.toNanos(1));
        var later = signals.await("wp", "prod", "h3", now + TimeUnit.SECONDS.toNanos(60));
        assertThat(soon).succeedsWithin(TestServer.PATIENCE).isSameAs(HostSignals.TIMED_OUT);
        assertThat(past).succeedsWithin(TestServer.PATIENCE).isSameAs(HostSignals.TIMED_OUT);
        assertThat(System.nanoTime() - now).as("never before the deadline").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
        signals.wake("wp", "prod", List.of("h3"), new HostSignals.Desired(4));
        assertThat(later).succeedsWithin(TestServer.PATIENCE).isEqualTo(new HostSignals.Desired(4));
        assertThat(signals.waiting()).isZero();
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
