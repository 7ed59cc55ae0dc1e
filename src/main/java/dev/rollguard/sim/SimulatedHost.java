package dev.rollguard.sim;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.agent.Preflight;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.validate.MissingReferenceValidator;
import dev.rollguard.validate.ValidationInput;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for a web server whose behaviour depends on the config its agent applied: like PHP with a
 * {@code require} of a file that does not exist, it answers 500 to every request while the live tree
 * has a missing reference, 503 while it has no tree, 200 otherwise. Serves over HTTP on loopback, or
 * in-process through {@link #serve()} for benchmarks with thousands of hosts.
 */
public final class SimulatedHost implements AutoCloseable {
    private final String name;
    private final Path target;
    private final HealthWindow window;
    private final Map<Path, Boolean> brokenByRelease = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicLong[]> byVersion = new ConcurrentHashMap<>();
    /** Requests by status code, for {@code /metrics}: every code it can answer is there from the start, at 0. */
    private final Map<Integer, AtomicLong> byStatus = new ConcurrentHashMap<>(Map.of(200, new AtomicLong(), 500, new AtomicLong(),
            503, new AtomicLong()));
    private HttpServer server;
    private final Map<Integer, Instant> firstError = new ConcurrentHashMap<>();

    public SimulatedHost(String name, Path target, HealthWindow window) {
        this.name = name;
        this.target = target;
        this.window = window;
    }

    public String name() { return name; }

    public SimulatedHost listen() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "sim-" + name);
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/metrics", exchange -> {
            byte[] body = metrics().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/", exchange -> respond(exchange, serve()));
        server.start();
        return this;
    }

    private static void respond(HttpExchange exchange, int status) throws IOException {
        byte[] body = (status == 200 ? "ok\n" : "error\n").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * The preflight's shadow instance of this host: the same request handler, on the staged tree instead of the live
     * one, over HTTP on the given port; its requests count neither in the health window nor in the per-version counts.
     */
    public Preflight.Shadow shadow() {
        return (staged, port, env) -> {
            HttpServer shadow = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
            shadow.createContext("/", exchange -> respond(exchange, statusOf(staged)));
            shadow.start();
            return new Preflight.Running() {
                @Override
                public Optional<String> exited() { return Optional.empty(); }

                @Override
                public void close() { shadow.stop(0); }
            };
        };
    }

    private int statusOf(Path release) {
        return release == null ? 503 : broken(release) ? 500 : 200;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    /** Handles one request: its status, recorded in the health window and the per-version counters. */
    public int serve() {
        long start = System.nanoTime();
        Path live = liveRelease();
        Integer version = live == null ? null : versionOf(live);
        int status = statusOf(live);
        Instant at = Instant.now();
        window.record(status, (System.nanoTime() - start) / 1e6, at);
        byStatus.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        AtomicLong[] c = byVersion.computeIfAbsent(version == null ? 0 : version, v -> new AtomicLong[] {new AtomicLong(), new AtomicLong()});
        c[0].incrementAndGet();
        if (status >= 500) {
            c[1].incrementAndGet();
            // the same instant the agent reports, and the earliest of concurrent requests, as the agent keeps it
            firstError.merge(version == null ? 0 : version, at, (a, b) -> a.isBefore(b) ? a : b);
        }
        return status;
    }

    /** Requests served and failed per applied version (0: none). */
    public Map<Integer, long[]> counts() {
        Map<Integer, long[]> out = new TreeMap<>();
        byVersion.forEach((v, c) -> out.put(v, new long[] {c[0].get(), c[1].get()}));
        return out;
    }

    /**
     * The requests counter in Prometheus's text format, as a web server's exporter shows it; the host's name is not in
     * it: Prometheus adds it as a target label, like the instance of a real scrape.
     */
    public String metrics() {
        StringBuilder sb = new StringBuilder("# HELP http_requests_total Requests answered, by status code.\n"
                + "# TYPE http_requests_total counter\n");
        new TreeMap<>(byStatus).forEach((code, n) -> sb.append("http_requests_total{code=\"").append(code).append("\"} ")
                .append(n.get()).append('\n'));
        return sb.toString();
    }

    private volatile Path cachedRelease;
    private volatile long cachedAtNanos;

    /** Like a web server re-reading its config on reload, not per request: the live tree is looked up every 5 ms. */
    private Path liveRelease() {
        long now = System.nanoTime();
        if (now - cachedAtNanos < 5_000_000L) return cachedRelease;
        cachedRelease = resolveRelease();
        cachedAtNanos = now;
        return cachedRelease;
    }

    private Path resolveRelease() {
        try {
            Path link = target.resolve("current");
            return Files.isSymbolicLink(link) ? link.toRealPath() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static Integer versionOf(Path release) {
        String n = release.getFileName().toString();
        int dash = n.indexOf('-');
        try {
            return Integer.parseInt(n.substring(1, dash));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private boolean broken(Path release) {
        return brokenByRelease.computeIfAbsent(release, r -> {
            ConfigTree tree = TreeLoader.load(r, new Limits(64L << 20, 1_000_000, 1L << 34));
            try (ValidationInput in = new ValidationInput(tree, null, null)) {
                return new MissingReferenceValidator().validate(in).stream().anyMatch(f -> f.severity() == FindingSeverity.ERROR);
            }
        });
    }

    @Override
    public void close() {
        if (server != null) server.stop(0);
    }

    /** When this host first answered 5xx on a version, or null. */
    public Instant firstErrorAt(int version) {
        return firstError.get(version);
    }

    /** For the assertion that no host outside the canary ever ran a version. */
    public boolean everServed(int version) {
        return byVersion.containsKey(version);
    }
}
