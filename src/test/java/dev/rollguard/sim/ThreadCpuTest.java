package dev.rollguard.sim;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class ThreadCpuTest {
    @Test
    void aThreadsCpuShowsUnderItsGroupBesideTheJvmsOwnThreads() throws Exception {
        Map<String, Long> before = ThreadCpu.now();
        CountDownLatch done = new CountDownLatch(1);
        Thread burner = new Thread(() -> {
            var mx = ManagementFactory.getThreadMXBean();
            long x = 0;
            // spins until it has used 30 ms of CPU, however long a busy machine takes to give it that, then stays alive
            while (mx.getCurrentThreadCpuTime() < 30_000_000L) x += System.nanoTime() % 7;
            if (x == 42) System.out.print("");
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "burner-17");
        burner.start();
        try {
            Awaitility.await().until(() -> ThreadCpu.now().getOrDefault("burner-N", 0L) >= 30_000_000L);
            Map<String, Long> spent = ThreadCpu.since(before, ThreadCpu.now());
            assertThat(spent.get("burner-N")).isGreaterThanOrEqualTo(30_000_000L);
            assertThat(spent.values()).allMatch(v -> v > 0);
            assertThat(List.copyOf(spent.values())).isSortedAccordingTo((a, b) -> Long.compare(b, a));
            assertThat(before.keySet()).anyMatch(k -> k.startsWith("jvm "));
            assertThat(ThreadCpu.group("JettyServerThreadPool-123")).isEqualTo("JettyServerThreadPool-N");
        } finally {
            done.countDown();
            burner.join();
        }
    }
}
