package dev.rollguard.sim;

import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Thousands of agents on one machine: each speaks the agent protocol (register, long-poll desired,
 * fetch the bundle, report) asynchronously over one shared HTTP client, without the full agent's threads
 * and disk writes. Used to measure publish-to-apply latency at fleet scale.
 */
public final class PollerSwarm implements AutoCloseable {
    /** Agent i talks to server i modulo their number: agents spread over replicas. */
    private final List<String> bases;
    private final String service;
    private final String env;
    private final int size;
    private final HttpClient http;
    private final Map<String, Long> appliedAt = new ConcurrentHashMap<>();
    private final Semaphore inFlightSetup = new Semaphore(256);
    private volatile boolean running = true;
    private volatile int expected = -1;
    private volatile long t0;
    private volatile CountDownLatch done = new CountDownLatch(0);

    private final String token;

    public PollerSwarm(String base, String service, String env, int size, String token) {
        this(List.of(base), service, env, size, token);
    }

    public PollerSwarm(List<String> bases, String service, String env, int size, String token) {
        this.token = token;
        this.bases = List.copyOf(bases);
        this.service = service;
        this.env = env;
        this.size = size;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(4, r -> {
                    Thread t = new Thread(r, "swarm-http");
                    t.setDaemon(true);
                    return t;
                })).build();
    }

    private String base(String host) {
        return bases.get(Integer.parseInt(host.substring(host.lastIndexOf('-') + 1)) % bases.size());
    }

    private static String host(int i) {
        return String.format("swarm-%05d", i);
    }

    public void registerAll() throws InterruptedException {
        CountDownLatch registered = new CountDownLatch(size);
        for (int i = 0; i < size; i++) {
            inFlightSetup.acquire();
            register(host(i), registered, 0);
        }
        if (!registered.await(120, TimeUnit.SECONDS)) throw new IllegalStateException("registration did not finish");
    }

    /** Like the agent: a refused or failed registration is tried again after a pause (at most 20 times). */
    private void register(String h, CountDownLatch registered, int attempt) {
        String body = Json.write(new AgentProtocol.Register(service, env, h, null));
        http.sendAsync(post(h, AgentProtocol.REGISTER_PATH, body), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
            if ((e != null || r.statusCode() != 200) && attempt < 20 && running) {
                CompletableFuture.delayedExecutor(250L << Math.min(attempt, 3), TimeUnit.MILLISECONDS)
                        .execute(() -> register(h, registered, attempt + 1));
                return;
            }
            inFlightSetup.release();
            registered.countDown();
            if (e == null && r.statusCode() == 200) poll(h, AgentProtocol.NONE);
        });
    }

    public void expect(int version, long startNanos) {
        appliedAt.clear();
        t0 = startNanos;
        done = new CountDownLatch(size);
        expected = version;
    }

    public List<Long> await(Duration timeout) throws InterruptedException {
        done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return new ArrayList<>(appliedAt.values());
    }

    private void poll(String h, String known) {
        if (!running) return;
        HttpRequest req = HttpRequest.newBuilder(URI.create(base(h) + AgentProtocol.desiredPath(service, env, h, known, true, 30)))
                .timeout(Duration.ofSeconds(45))
                .header("Authorization", "Bearer " + token).GET().build();
        http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
            if (!running) return;
            if (e != null || r.statusCode() != 200) {
                CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS).execute(() -> poll(h, known));
                return;
            }
            AgentProtocol.Desired answer = Json.read(r.body(), AgentProtocol.Desired.class);
            Integer d = answer.desiredVersion();
            String now = AgentProtocol.known(d);
            if (d != null && d == expected && !appliedAt.containsKey(h)) {
                // like the agent: the bundle came with the answer, or is fetched when it was too large to inline
                CompletableFuture<Boolean> bundle = answer.carriesBundle() ? CompletableFuture.completedFuture(true) : fetchBundle(h, d);
                bundle.thenCompose(ok -> ok ? applied(h, d) : CompletableFuture.completedFuture(null))
                        .whenComplete((x, y) -> poll(h, now));
            } else {
                poll(h, now);
            }
        });
    }

    private CompletableFuture<Boolean> fetchBundle(String h, int version) {
        HttpRequest bundle = HttpRequest.newBuilder(URI.create(base(h) + AgentProtocol.bundlePath(service, version, env, h)))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token).GET().build();
        return http.sendAsync(bundle, HttpResponse.BodyHandlers.ofString()).thenApply(r -> r.statusCode() == 200);
    }

    private CompletableFuture<Void> applied(String h, int version) {
        if (appliedAt.putIfAbsent(h, (System.nanoTime() - t0) / 1_000_000) == null) done.countDown();
        String body = Json.write(new AgentProtocol.Report(version, null, null, List.of()));
        return report(h, body, 0);
    }

    /** Like the agent, whose next report (every 500 ms) says it again: a report that failed is sent again. */
    private CompletableFuture<Void> report(String h, String body, int attempt) {
        return http.sendAsync(post(h, AgentProtocol.reportPath(service, env, h), body), HttpResponse.BodyHandlers.discarding())
                .handle((r, e) -> (e == null && r.statusCode() == 200) || attempt >= 20 || !running)
                .thenCompose(done -> done ? CompletableFuture.<Void>completedFuture(null)
                        : CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS))
                        .thenCompose(x -> report(h, body, attempt + 1)));
    }

    private HttpRequest post(String host, String path, String body) {
        return HttpRequest.newBuilder(URI.create(base(host) + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    @Override
    public void close() {
        running = false;
    }
}
