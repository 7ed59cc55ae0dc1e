package dev.rollguard.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Debian's real {@code prometheus} server, run by a test: a generated config scraping the given targets every second
 * (each with its {@code host} label), on a free loopback port, with its data in a directory of its own. Closing it
 * stops the process (and waits until it is gone) and removes the directory.
 */
final class PrometheusServer implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/prometheus");

    final int port;
    private final Path dir;
    private final Process process;
    private final HttpClient http = HttpClient.newHttpClient();

    /** {@code targets}: host name → "127.0.0.1:port" of its /metrics. */
    PrometheusServer(Map<String, String> targets) throws IOException {
        dir = TestServer.tempDir();
        port = TestServer.freePort();
        StringBuilder config = new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n  scrape_timeout: 1s\n"
                + "scrape_configs:\n  - job_name: sim\n    static_configs:\n");
        targets.forEach((host, address) -> config.append("      - targets: ['").append(address).append("']\n")
                .append("        labels: {host: '").append(host).append("'}\n"));
        Files.writeString(dir.resolve("prometheus.yml"), config);
        process = new ProcessBuilder(BINARY.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--storage.tsdb.retention.time=1h", "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    static Optional<String> missing() {
        return Files.isExecutable(BINARY) ? Optional.empty() : Optional.of("Debian's prometheus package is not installed (" + BINARY + ")");
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** An instant query's answer, or null while the server does not answer. */
    JsonNode query(String promql) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Waits until {@code promql} gives one series per host (every target scraped often enough for a rate). */
    void awaitSeries(String promql, int series) {
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(500)).until(() -> {
            if (!process.isAlive()) throw new IllegalStateException("prometheus exited: " + log());
            JsonNode a = query(promql);
            return a != null && a.path("data").path("result").size() == series;
        });
    }

    String log() {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Stops the server; the process is gone when this returns. */
    void stop() {
        if (!process.isAlive()) return;
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        stop();
        TreeLoader.deleteRecursively(dir);
    }
}
