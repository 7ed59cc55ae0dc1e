package dev.rollguard.rollout;

import dev.rollguard.Problem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Group commit of the agents' reports. Every agent reports twice a second and right after each apply, so a fleet of
 * thousands turns a release into thousands of one-row write transactions queuing for the database's writer. One
 * thread writes whatever has queued up since its last commit in one transaction instead: a lone report is written at
 * once, and under load a batch grows while the previous one commits.
 */
final class HostReports implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HostReports.class);
    /** What one agent said of itself. */
    record Report(HostSignals.Host key, Integer applied, Integer failed, String error, String failure, Instant at) {
        Report(String service, String env, String host, Integer applied, Integer failed, String error, String failure, Instant at) {
            this(new HostSignals.Host(service, env, host), applied, failed, error, failure, at);
        }

        String service() {
            return key.service();
        }

        String env() {
            return key.env();
        }

        String host() {
            return key.host();
        }
    }

    /** A queued report and its answer. */
    private record Pending(Report report, CompletableFuture<Optional<HostSignals.Desired>> answer) {}

    static final int MAX_BATCH = 500;
    private static final int MAX_QUEUED = 50_000;

    private final RolloutStore store;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final Thread writer;
    private volatile boolean running = true;

    HostReports(RolloutStore store) {
        this.store = store;
        this.writer = new Thread(this::writeLoop, "host-report-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues a report; the answer is the host's desired version after the write, empty if the host is not registered. */
    CompletableFuture<Optional<HostSignals.Desired>> submit(Report report) {
        CompletableFuture<Optional<HostSignals.Desired>> answer = new CompletableFuture<>();
        if (!running) {
            answer.completeExceptionally(new Problem(503, "unavailable", "server is shutting down; retry"));
        } else if (!queue.offer(new Pending(report, answer))) {
            // the agent backs off and retries: better than a queue that grows until the heap is gone
            answer.completeExceptionally(new Problem(503, "overloaded", "too many reports queued (" + MAX_QUEUED + "); retry"));
        }
        return answer;
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>(MAX_BATCH);
        while (running) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                write(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
        Pending left;
        while ((left = queue.poll()) != null) {
            left.answer().completeExceptionally(new Problem(503, "unavailable", "server is shutting down; retry"));
        }
    }

    private void write(List<Pending> batch) {
        // a host that reported twice in one batch: its last report is what holds
        // (in one order: two replicas' writers updating overlapping hosts then lock their rows in the same order)
        Map<HostSignals.Host, Report> latest = new TreeMap<>(HostSignals.Host.ORDER);
        for (Pending p : batch) latest.put(p.report().key(), p.report());
        Map<HostSignals.Host, HostSignals.Desired> desired;
        try {
            desired = store.report(List.copyOf(latest.values()));
        } catch (RuntimeException | Error e) {
            // whatever the database or its driver throws (JDBI asserts on a connection that died mid-batch, when
            // PostgreSQL restarts), this thread must live on: the agents retry the failed reports
            log.warn("writing {} agent reports failed: {}", batch.size(), e.toString());
            for (Pending p : batch) p.answer().completeExceptionally(new Problem(503, "unavailable", "reports cannot be written now ("
                    + e.getClass().getSimpleName() + "); retry"));
            return;
        }
        for (Pending p : batch) p.answer().complete(Optional.ofNullable(desired.get(p.report().key())));
    }

    @Override
    public void close() {
        running = false;
        try {
            writer.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
