package dev.rollguard.web;

import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 13 item 11: concurrent large bodies cannot exhaust a server's heap (a real server in a JVM with a small heap). */
class BodyMemoryTest {
    private Process server;
    private Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        if (server != null) server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    /** A validate body of {@code size} bytes, generated as it is sent: {"files": {"a.conf": "xxx…"}, "message": "m"}. */
    private static HttpRequest.BodyPublisher body(long size) {
        byte[] head = "{\"files\": {\"a.conf\": \"".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}, \"message\": \"m\"}".getBytes(StandardCharsets.US_ASCII);
        long filler = size - head.length - tail.length;
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> new SequenceInputStream(
                new SequenceInputStream(new ByteArrayInputStream(head), new InputStream() {
                    long left = filler;

                    @Override
                    public int read() {
                        return left-- > 0 ? 'x' : -1;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) {
                        if (left <= 0) return -1;
                        int n = (int) Math.min(len, left);
                        Arrays.fill(b, off, off + n, (byte) 'x');
                        left -= n;
                        return n;
                    }
                }), new ByteArrayInputStream(tail))), size);
    }

    @Test
    void fourConcurrentHundredMegabyteBodiesLeaveA256MegabyteServerStanding() throws Exception {
        dir = TestServer.tempDir();
        int port = TestServer.freePort();
        server = TestServer.startProcess(dir, port, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError");
        String url = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/services/wp")).header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

        // what the server allows one body is bounded by its heap; bodies of several sizes, four at a time
        for (long size : List.of(100L << 20, 30L << 20, 12L << 20)) {
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sent.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url + "/api/v1/services/wp/validate"))
                        .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(120)).POST(body(size)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : sent) {
                HttpResponse<String> r;
                try {
                    r = f.get(150, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // the server may close a connection whose body it refused before reading it: that is an answer too
                    assertThat(server.isAlive()).as("server alive after " + e).isTrue();
                    continue;
                }
                // handled, refused as too large (for the heap, for Jackson's string limit or for a file) or busy: never a server error
                assertThat(r.statusCode()).as(size + " bytes: " + r.body()).isIn(200, 400, 413, 503);
            }
            assertThat(server.isAlive()).as("server alive after four bodies of " + size + " bytes").isTrue();
        }
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
        assertThat(Files.readString(dir.resolve("server.log"))).doesNotContain("OutOfMemoryError");
    }
}
