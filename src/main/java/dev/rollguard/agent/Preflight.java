package dev.rollguard.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Before a staged tree goes live: start it on a shadow instance on a free loopback port, request the configured
 * paths, stop the shadow. A failure means the version never serves a user on this host.
 */
public final class Preflight {
    /**
     * What to probe on the shadow instance.
     *
     * @param bodyMatch optional regular expression the body must contain
     */
    public record Spec(List<String> paths, int expectStatus, String bodyMatch, Duration timeout) {
        public static final Spec DEFAULT = new Spec(List.of("/"), 200, null, Duration.ofSeconds(20));

        public Spec {
            paths = paths == null || paths.isEmpty() ? List.of("/") : List.copyOf(paths);
            expectStatus = expectStatus == 0 ? 200 : expectStatus;
            timeout = timeout == null ? Duration.ofSeconds(20) : timeout;
            if (bodyMatch != null) Pattern.compile(bodyMatch);
            for (String p : paths) if (!p.startsWith("/")) throw new IllegalArgumentException("preflight path must start with '/': " + p);
        }
    }

    /** Starts the shadow instance of a staged tree on a port; closing it stops the instance. */
    public interface Shadow {
        Running start(Path staged, int port, Map<String, String> env) throws IOException;
    }

    /** A started shadow instance. {@link #exited()} is its early end (a crash before it answered), if any. */
    public interface Running extends AutoCloseable {
        Optional<String> exited();

        @Override
        void close();
    }

    private static final int BODY_LINES = 5;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Preflight() {}

    /** Empty when every path answered as the spec expects; else why not (status and the first lines of the body). */
    public static Optional<String> check(Shadow shadow, Spec spec, Path staged, Map<String, String> env) throws InterruptedException {
        int port = freePort();
        long deadline = System.nanoTime() + spec.timeout().toNanos();
        try (Running running = shadow.start(staged, port, env)) {
            while (!listening(port)) {
                Optional<String> exited = running.exited();
                if (exited.isPresent()) return Optional.of("shadow instance exited before answering: " + exited.get());
                if (System.nanoTime() > deadline) return Optional.of("shadow instance did not listen on port " + port + " within "
                        + spec.timeout().toSeconds() + " s");
                Thread.sleep(20);
            }
            Pattern match = spec.bodyMatch() == null ? null : Pattern.compile(spec.bodyMatch());
            for (String path : spec.paths()) {
                Optional<String> bad = probe(port, path, spec, match, deadline);
                if (bad.isPresent()) return bad;
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("shadow instance did not start: " + e.getMessage());
        }
    }

    private static Optional<String> probe(int port, String path, Spec spec, Pattern match, long deadline) throws InterruptedException {
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        HttpResponse<String> r;
        try {
            r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofMillis(left)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return Optional.of("GET " + path + " failed: " + e.getMessage());
        }
        if (r.statusCode() != spec.expectStatus()) {
            return Optional.of("GET " + path + " answered " + r.statusCode() + " (expected " + spec.expectStatus() + ")" + firstLines(r.body()));
        }
        if (match != null && !match.matcher(r.body()).find()) {
            return Optional.of("GET " + path + " answered " + r.statusCode() + " but the body does not match /" + spec.bodyMatch() + "/"
                    + firstLines(r.body()));
        }
        return Optional.empty();
    }

    private static String firstLines(String body) {
        if (body == null || body.isBlank()) return "; empty body";
        String[] lines = body.strip().split("\r?\n", BODY_LINES + 1);
        StringBuilder sb = new StringBuilder("; body: ");
        for (int i = 0; i < Math.min(BODY_LINES, lines.length); i++) {
            String l = lines[i].strip();
            sb.append(i == 0 ? "" : " | ").append(l.length() > 200 ? l.substring(0, 200) + "…" : l);
        }
        return sb.toString();
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port", e);
        }
    }
}
