package dev.rollguard.sim;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Sends a steady request rate to every host, in 10 ms ticks. Over HTTP (real sockets on loopback) or
 * in-process ({@link SimulatedHost#serve()}), which lets a single machine drive thousands of hosts.
 */
public final class LoadGenerator implements AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "load-generator");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong serverErrors = new AtomicLong();
    private final AtomicLong clientErrors = new AtomicLong();

    public LoadGenerator(List<SimulatedHost> hosts, double requestsPerSecondPerHost, boolean overHttp) {
        this(hosts.size(), requestsPerSecondPerHost, i -> {
            SimulatedHost h = hosts.get(i);
            return overHttp ? null : h.serve();
        }, i -> hosts.get(i).url());
    }

    /** Real web servers: a steady rate of GETs to each URL. */
    public static LoadGenerator http(List<String> urls, double requestsPerSecondPerHost) {
        return new LoadGenerator(urls.size(), requestsPerSecondPerHost, i -> null, urls::get);
    }

    /**
     * Real web servers: a steady rate of GETs to each base URL, each host's requests going round {@code paths} (relative
     * to the base URL, e.g. {@code "wp-login.php"}; a leading slash is the same), so every page of the mix is asked of every
     * host.
     */
    public static LoadGenerator http(List<String> urls, double requestsPerSecondPerHost, List<String> paths) {
        if (paths.isEmpty()) return http(urls, requestsPerSecondPerHost);
        long[] next = new long[urls.size()];
        return new LoadGenerator(urls.size(), requestsPerSecondPerHost, i -> null, i -> {
            String base = urls.get(i);
            String path = paths.get((int) (next[i]++ % paths.size()));
            return (base.endsWith("/") ? base : base + "/") + (path.startsWith("/") ? path.substring(1) : path);
        });
    }

    /** {@code inProcess}: serves request i in-process and gives its status, or null to send it over HTTP to {@code urls[i]}. */
    private LoadGenerator(int targets, double requestsPerSecondPerHost, IntFunction<Integer> inProcess,
                          IntFunction<String> urls) {
        double[] debt = new double[targets];
        long[] last = {System.nanoTime()};
        timer.scheduleAtFixedRate(() -> {
            // open loop on the wall clock: a generator that fell behind (a busy machine) drops the backlog instead of
            // firing it in a burst, which would crowd a failing host's short window with requests that belong elsewhere
            long now = System.nanoTime();
            double due = requestsPerSecondPerHost * Math.min(0.02, (now - last[0]) / 1e9);
            last[0] = now;
            for (int i = 0; i < targets; i++) {
                debt[i] += due;
                while (debt[i] >= 1) {
                    debt[i] -= 1;
                    sent.incrementAndGet();
                    Integer status = inProcess.apply(i);
                    if (status != null) {
                        if (status >= 500) {
                            failed.incrementAndGet();
                            serverErrors.incrementAndGet();
                        }
                        continue;
                    }
                    http.sendAsync(HttpRequest.newBuilder(URI.create(urls.apply(i))).timeout(Duration.ofSeconds(5)).build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .whenComplete((r, e) -> {
                                if (e != null || r.statusCode() >= 500) failed.incrementAndGet();
                                if (e == null && r.statusCode() >= 500) serverErrors.incrementAndGet();
                                if (e == null && r.statusCode() >= 400 && r.statusCode() < 500) clientErrors.incrementAndGet();
                            });
                }
            }
        }, 0, 10, TimeUnit.MILLISECONDS);
    }

    public long sent() { return sent.get(); }
    /** Requests answered 5xx or not answered within 5 s. */
    public long failed() { return failed.get(); }

    /** Requests answered 5xx: what a broken config does, as opposed to a machine too busy to answer in time. */
    public long serverErrors() { return serverErrors.get(); }

    /** Requests answered 4xx: a page a bad config forbids or lost, which a user sees as broken too. */
    public long clientErrors() { return clientErrors.get(); }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
