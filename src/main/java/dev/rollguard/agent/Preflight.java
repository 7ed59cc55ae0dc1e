package dev.rollguard.agent;

import dev.rollguard.net.CappedBody;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.AgentProtocol.HostFailure;
import dev.rollguard.protocol.AgentProtocol.PreflightSpec;
import dev.rollguard.protocol.AgentProtocol.ProbeAnswer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import java.util.stream.Collectors;

/**
 * Before a staged tree goes live: start it on a shadow instance on a free loopback port, request the configured
 * paths, then replay this host's own recent requests to it and to a second shadow of the current version
 * ({@link Replay}), stop both shadows. A failure means the version never serves a user on this host.
 */
public final class Preflight {
    private static final Logger log = LoggerFactory.getLogger(Preflight.class);

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
    /** What of a probe's answer is read: its first lines are shown and its expected text is looked for in it. */
    static final int PROBE_ANSWER_CAP = 1 << 20;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Preflight() {}

    /**
     * Empty when every probe answered as the spec expects; else the failure, stage {@code PREFLIGHT}, with the failed
     * probe's answer (status and the first lines of the body) when one came.
     */
    public static Optional<HostFailure> check(Shadow shadow, PreflightSpec spec, Path staged, Map<String, String> env)
            throws InterruptedException {
        return check(shadow, spec, staged, env, null, List.of());
    }

    /**
     * The probes, then, when they pass and there is a current version ({@code control}, null: none) and requests to
     * replay, the replay of {@code replay} to the candidate's shadow and a shadow of {@code control}. A control shadow
     * that does not start blocks nothing (the replay has no baseline then; the probes have passed), and says so in the log.
     */
    public static Optional<HostFailure> check(Shadow shadow, PreflightSpec spec, Path staged, Map<String, String> env,
                                              Path control, List<ReplaySet.Request> replay) throws InterruptedException {
        int port = freePort();
        long deadline = System.nanoTime() + spec.timeout().toNanos();
        try (Running running = shadow.start(staged, port, env)) {
            while (!listening(port)) {
                Optional<String> exited = running.exited();
                if (exited.isPresent()) return failure("shadow instance exited before answering: " + exited.get(), null);
                if (System.nanoTime() > deadline) return failure("shadow instance did not listen on port " + port + " within "
                        + spec.timeout().toSeconds() + " s", null);
                Thread.sleep(20);
            }
            for (AgentProtocol.Probe p : spec.probes()) {
                Optional<HostFailure> bad = probe(port, p, deadline);
                if (bad.isPresent()) return bad;
            }
            AgentProtocol.Replay settings = spec.replaySettings();
            if (control == null || replay.isEmpty() || !settings.enabled()) return Optional.empty();
            return replay(shadow, settings, port, control, env, replay);
        } catch (IOException e) {
            return failure("shadow instance did not start: " + e.getMessage(), null);
        }
    }

    private static Optional<HostFailure> replay(Shadow shadow, AgentProtocol.Replay settings, int candidatePort, Path control,
                                                Map<String, String> env, List<ReplaySet.Request> requests) throws InterruptedException {
        int controlPort = freePort();
        long deadline = System.nanoTime() + settings.budget().toNanos();
        try (Running running = shadow.start(control, controlPort, env)) {
            while (!listening(controlPort)) {
                if (running.exited().isPresent() || System.nanoTime() > deadline) {
                    log.warn("preflight replay skipped: the current version's shadow did not answer ({})", running.exited().orElse("time-out"));
                    return Optional.empty();
                }
                Thread.sleep(20);
            }
            Replay.Outcome o = Replay.run(requests, controlPort, candidatePort, settings);
            log.info("preflight replay: {} requests compared in {} ms, {} left unsent by the budget, {} worse on the candidate",
                    o.compared(), o.took().toMillis(), o.unsent(), o.failed().size());
            if (o.passed()) return Optional.empty();
            List<ProbeAnswer> failed = o.failed();
            String paths = failed.stream().limit(5).map(a -> a.path() + " " + (a.status() == 0 ? "no answer" : a.status())
                    + " (was " + a.expectedStatus() + ")").collect(Collectors.joining(", "));
            return Optional.of(new HostFailure(AgentProtocol.Stage.PREFLIGHT, "replay of " + o.compared() + " recent requests: "
                    + failed.size() + " worse than on the current version: " + paths + (failed.size() > 5 ? ", …" : ""), failed.get(0), failed));
        } catch (IOException e) {
            log.warn("preflight replay skipped: the current version's shadow did not start: {}", e.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<HostFailure> failure(String message, ProbeAnswer answer) {
        return Optional.of(new HostFailure(AgentProtocol.Stage.PREFLIGHT, message, answer));
    }

    private static Optional<HostFailure> probe(int port, AgentProtocol.Probe p, long deadline) throws InterruptedException {
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        HttpResponse<CappedBody.Text> answered;
        try {
            // the staged copy runs the pushed config: what it answers is read up to a bound, within the probe's time
            answered = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + p.path())).timeout(Duration.ofMillis(left)).GET().build(),
                    CappedBody.handler(PROBE_ANSWER_CAP, Duration.ofMillis(left)));
        } catch (IOException e) {
            return failure("GET " + p.path() + " failed: " + e.getMessage(), new ProbeAnswer(p.path(), 0, p.status(), ""));
        }
        int status = answered.statusCode();
        String text = answered.body().text();
        String excerpt = firstLines(text);
        ProbeAnswer answer = new ProbeAnswer(p.path(), status, p.status(), excerpt);
        String body = excerpt.isEmpty() ? "; empty body" : "; body: " + excerpt;
        if (status != p.status()) {
            return failure("GET " + p.path() + " answered " + status + " (expected " + p.status() + ")" + body, answer);
        }
        if (p.body() != null && !Pattern.compile(p.body()).matcher(text).find()) {
            return failure("GET " + p.path() + " answered " + status + " but the body does not match /" + p.body() + "/" + body, answer);
        }
        return Optional.empty();
    }

    /** The body's first lines, each trimmed and cut at 200 characters, joined with " | " (empty for an empty body). */
    static String firstLines(String body) {
        if (body == null || body.isBlank()) return "";
        String[] lines = body.strip().split("\r?\n", BODY_LINES + 1);
        StringBuilder sb = new StringBuilder();
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
