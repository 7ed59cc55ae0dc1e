package dev.rollguard.sim;

import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thousands of agents on one machine: each registers (the JDK's HTTP client, before any measurement), then speaks the
 * agent protocol (long-poll desired with the bundle inline, fetch the bundle when it did not come along, report) over a
 * keep-alive connection of its own, all of them driven by one thread ({@link NioPollers}), without the full agent's
 * threads and disk writes. Used to measure publish-to-apply latency at fleet scale.
 */
public final class PollerSwarm implements AutoCloseable {
    /** Agent i talks to server i modulo their number: agents spread over replicas. */
    private final List<String> bases;
    private final String service;
    private final String env;
    private final int size;
    /** Each agent's publish-to-applied latency of the expected version (ms; -1: not yet), by its index: no per-agent objects. */
    private volatile long[] appliedAt = new long[0];
    private final Semaphore inFlightSetup = new Semaphore(256);
    /** The agents registered and handed to the pollers. */
    private final AtomicInteger started = new AtomicInteger();
    private volatile boolean running = true;
    private volatile int expected = -1;
    private volatile long t0;
    private volatile CountDownLatch done = new CountDownLatch(0);

    private final String token;
    private final Transport transport;
    private final NioPollers pollers;

    /**
     * How the agents hear of releases and report: long-poll and report by POST (older agents), the stream (server-sent
     * events) and report by POST on a second connection, or the channel (a WebSocket: both on one connection).
     */
    public enum Transport {
        LONG_POLL, STREAM, CHANNEL;

        /** As the command line spells it: long-poll, stream, channel. */
        public String label() {
            return name().toLowerCase().replace('_', '-');
        }

        public static Transport of(String label) {
            for (Transport t : values()) if (t.label().equals(label)) return t;
            throw new IllegalArgumentException("transport is long-poll, stream or channel, not '" + label + "'");
        }
    }

    public PollerSwarm(List<String> bases, String service, String env, int size, String token) throws IOException {
        this(bases, service, env, size, token, Transport.CHANNEL);
    }

    public PollerSwarm(List<String> bases, String service, String env, int size, String token, Transport transport) throws IOException {
        this.token = token;
        this.transport = transport;
        this.bases = List.copyOf(bases);
        this.service = service;
        this.env = env;
        this.size = size;
        this.pollers = new NioPollers(service, env, token, transport, this::applied);
    }

    private String base(String host) {
        return bases.get(index(host) % bases.size());
    }

    private static String host(int i) {
        return String.format("swarm-%05d", i);
    }

    /**
     * Registers every agent (the JDK's HTTP client on threads of its own, shut down afterwards: their timers and selector
     * would otherwise cost the pollers' process CPU during the releases measured).
     */
    public void registerAll() throws InterruptedException {
        ExecutorService threads = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "swarm-http");
            t.setDaemon(true);
            return t;
        });
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).executor(threads).build();
        try {
            CountDownLatch registered = new CountDownLatch(size);
            for (int i = 0; i < size; i++) {
                inFlightSetup.acquire();
                register(http, host(i), registered, 0);
            }
            if (!registered.await(120, TimeUnit.SECONDS)) throw new IllegalStateException("registration did not finish");
        } finally {
            threads.shutdown();
        }
        // every agent listening before the first release (and before the servers' heap per connected agent is read)
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (pollers.connected() < started.get() && System.nanoTime() < end) Thread.sleep(50);
        // the release's latencies and the heap per connected agent would be read over fewer agents than the table says
        if (pollers.connected() < started.get()) {
            throw new IllegalStateException("only " + pollers.connected() + " of " + started.get() + " agents listening after 120 s");
        }
    }

    /** Like the agent: a refused or failed registration is tried again after a pause (at most 20 times). */
    private void register(HttpClient http, String h, CountDownLatch registered, int attempt) {
        String body = Json.write(new AgentProtocol.Register(service, env, h, null));
        http.sendAsync(post(h, AgentProtocol.REGISTER_PATH, body), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
            if ((e != null || r.statusCode() != 200) && attempt < 20 && running) {
                CompletableFuture.delayedExecutor(250L << Math.min(attempt, 3), TimeUnit.MILLISECONDS)
                        .execute(() -> register(http, h, registered, attempt + 1));
                return;
            }
            if (e == null && r.statusCode() == 200) {
                started.incrementAndGet();
                pollers.start(index(h), h, where(base(h), Json.read(r.body(), AgentProtocol.Registered.class)));
            }
            inFlightSetup.release();
            registered.countDown();
        });
    }

    /**
     * Where an agent that registered at {@code base} and was answered {@code registered} holds its connection, as the agent
     * does: a channel agent at the channel's own port when the server has one (a plain ws:// address: the pollers speak no
     * TLS), every other agent at {@code base}.
     */
    URI where(String base, AgentProtocol.Registered registered) {
        String url = registered.channelUrl();
        if (transport != Transport.CHANNEL || url == null || !url.startsWith("ws://")) return URI.create(base);
        return URI.create("http://" + url.substring("ws://".length()));
    }

    public void expect(int version, long startNanos) {
        long[] at = new long[size];
        Arrays.fill(at, -1);
        appliedAt = at;
        t0 = startNanos;
        done = new CountDownLatch(size);
        // written last: the pollers' thread reads it first, then sees the fresh latencies and latch
        expected = version;
    }

    /** The latencies (ms) of the agents that applied the expected version within {@code timeout}. */
    public List<Long> await(Duration timeout) throws InterruptedException {
        done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        List<Long> latencies = new ArrayList<>();
        for (long ms : appliedAt) if (ms >= 0) latencies.add(ms);
        return latencies;
    }

    private HttpRequest post(String host, String path, String body) {
        return HttpRequest.newBuilder(URI.create(base(host) + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Agent {@code i} applied {@code version}: the first time it is the expected one, its latency counts. */
    private void applied(int agent, int version) {
        if (version != expected) return;
        long[] at = appliedAt;
        if (at[agent] >= 0) return;
        at[agent] = (System.nanoTime() - t0) / 1_000_000;
        done.countDown();
    }

    /** CPU time the pollers' network thread has used (nanoseconds): the simulated fleet's own cost. */
    public long cpuNanos() {
        return pollers.cpuNanos();
    }

    private static int index(String host) {
        return Integer.parseInt(host.substring(host.lastIndexOf('-') + 1));
    }

    @Override
    public void close() {
        running = false;
        pollers.close();
    }
}
