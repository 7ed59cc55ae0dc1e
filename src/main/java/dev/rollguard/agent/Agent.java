package dev.rollguard.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.Processes;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.TreeWire;
import dev.rollguard.health.HealthStore;
import dev.rollguard.protocol.AgentProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent on a host: registers, long-polls its desired version, applies it atomically between the
 * pre-apply (validate) and reload hooks, rolls back locally if the reload fails, and reports applied
 * version and health every interval. Without a server it keeps serving the last applied tree and retries
 * with exponential backoff and jitter, across every server URL it knows.
 */
public final class Agent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    /** {@code token}: the host's enrolment token (or any token allowed to act for it). */
    public record Config(List<String> servers, String service, String env, String host, Path target, String preApply,
                         String reload, int keep, Duration reportInterval, Duration hookTimeout, Duration longPoll, String token) {
        public Config {
            if (servers == null || servers.isEmpty()) throw new IllegalArgumentException("an agent needs at least one server URL");
            servers = servers.stream().map(s -> s.endsWith("/") ? s.substring(0, s.length() - 1) : s).toList();
            keep = keep <= 0 ? 5 : keep;
            reportInterval = reportInterval == null ? Duration.ofMillis(500) : reportInterval;
            hookTimeout = hookTimeout == null ? Duration.ofSeconds(60) : hookTimeout;
            longPoll = longPoll == null ? Duration.ofSeconds(30) : longPoll;
        }

        public Config(List<String> servers, String service, String env, String host, Path target, String preApply,
                      String reload, int keep, Duration reportInterval, Duration hookTimeout, Duration longPoll) {
            this(servers, service, env, host, target, preApply, reload, keep, reportInterval, hookTimeout, longPoll, null);
        }
    }

    /** Failures the agent reports once and does not retry: the tree itself is bad. */
    static final class ApplyFailed extends Exception {
        ApplyFailed(String message) { super(message); }
    }

    private final Config config;
    private final ReleaseDirectory releases;
    private final HealthWindow window;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final AtomicInteger serverIndex = new AtomicInteger();
    private final Deque<HealthStore.Sample> unsent = new ArrayDeque<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    private volatile Integer applied;
    private final Set<Integer> everApplied = ConcurrentHashMap.newKeySet();
    private volatile Integer failedVersion;
    private volatile String applyError;
    private volatile Integer desired;
    private volatile JsonNode inlineBundle;
    private volatile boolean connected;
    private final Object applyLock = new Object();

    public Agent(Config config, HealthWindow window, Clock clock) {
        this.config = config;
        this.window = window;
        this.clock = clock;
        this.releases = new ReleaseDirectory(config.target(), config.keep());
        this.applied = releases.currentVersion();
        if (applied != null) everApplied.add(applied);
    }

    public Agent start() {
        threads.add(thread("agent-poll-" + config.host(), this::pollLoop));
        threads.add(thread("agent-report-" + config.host(), this::reportLoop));
        return this;
    }

    private Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    public Integer appliedVersion() { return applied; }

    /** Every version this agent made live since it started (the one it found on disk included). */
    public Set<Integer> everApplied() { return Set.copyOf(everApplied); }
    public Integer failedVersion() { return failedVersion; }
    public boolean connected() { return connected; }
    public ReleaseDirectory releases() { return releases; }

    // ------------------------------------------------------------------ long-poll and apply

    private void pollLoop() {
        int failures = 0;
        boolean registered = false;
        while (running) {
            try {
                if (!registered) {
                    register();
                    registered = true;
                }
                // "known" is what this host has acted on, not merely heard of: a report's answer may have told us of a
                // new version while we were applying the previous one, and polling with that version as known would
                // wait out the whole long-poll before applying it
                Integer want = desired;
                String known = want == null ? AgentProtocol.NONE
                        : AgentProtocol.known(want.equals(applied) || want.equals(failedVersion) ? want : applied);
                AgentProtocol.Desired d = get(AgentProtocol.desiredPath(config.service(), config.env(), config.host(), known, true,
                        config.longPoll().toSeconds()), config.longPoll().plusSeconds(10), AgentProtocol.Desired.class);
                connected = true;
                failures = 0;
                desired = d.desiredVersion();
                // the answer carries the new version's bundle when it is small: no second request for it
                inlineBundle = d.bundle() != null && d.bundle().path("version").isNumber() ? d.bundle() : null;
                converge();
            } catch (ServerError e) {
                if (e.status == 404 && "unknown_host".equals(e.code)) registered = false;
                failures = backoff(failures, e.getMessage());
            } catch (IOException e) {
                connected = false;
                failures = backoff(failures, e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Sleeps 0.5 s · 2^n (at most 30 s), ±50 % jitter, and moves on to the next server URL. */
    private int backoff(int failures, String why) {
        long base = Math.min(30_000, 500L << Math.min(failures, 6));
        long sleep = (long) (base * (0.5 + ThreadLocalRandom.current().nextDouble()));
        serverIndex.incrementAndGet();
        if (failures < 3 || failures % 10 == 0) {
            log.warn("agent {}: server unavailable ({}); keeping v{}; retry in {} ms", config.host(), why, applied, sleep);
        }
        try {
            Thread.sleep(sleep);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
        return failures + 1;
    }

    private void register() throws IOException, InterruptedException {
        AgentProtocol.Registered r = post(AgentProtocol.REGISTER_PATH, new AgentProtocol.Register(config.service(), config.env(),
                config.host(), null), AgentProtocol.Registered.class);
        desired = r.desiredVersion();
        report();
        converge();
    }

    /** Applies the desired version unless it is what runs, or what just failed here. */
    void converge() throws IOException, InterruptedException {
        synchronized (applyLock) {
            Integer want = desired;
            if (want == null || want.equals(applied) || want.equals(failedVersion)) return;
            try {
                apply(want);
                failedVersion = null;
                applyError = null;
            } catch (ApplyFailed e) {
                failedVersion = want;
                applyError = e.getMessage();
                log.warn("agent {}: v{} not applied: {}", config.host(), want, e.getMessage());
            }
        }
        report();
    }

    private void apply(int version) throws IOException, InterruptedException, ApplyFailed {
        JsonNode inline = inlineBundle;
        inlineBundle = null;
        JsonNode bundle = inline != null && inline.path("version").asInt() == version && config.service().equals(inline.path("service").asText())
                ? inline : get("/api/v1/services/" + enc(config.service()) + "/versions/" + version + "/bundle", Duration.ofMinutes(2), JsonNode.class);
        Path staged;
        try {
            // every file's and link's SHA-256 is checked here, and the tree's hash over all of them
            ConfigTree tree = Json.MAPPER.convertValue(bundle, TreeWire.Bundle.class).verifiedTree();
            staged = releases.stage(version, tree);
        } catch (Problem e) {
            throw new ApplyFailed(e.getMessage());
        }
        Map<String, String> env = hookEnv(version, staged);
        if (config.preApply() != null) {
            Processes.Result r = hook(config.preApply(), env);
            if (!r.ok()) {
                releases.discard(staged);
                throw new ApplyFailed("pre-apply hook failed (" + (r.timedOut() ? "timed out" : "exit " + r.exitCode()) + "): "
                        + r.output().strip());
            }
        }
        // close the health window on the old version: what is served from now on belongs to the new one
        synchronized (unsent) {
            unsent.addLast(window.drain(clock.instant(), applied));
        }
        Path previous = releases.activate(staged);
        if (config.reload() != null) {
            Processes.Result r = hook(config.reload(), env);
            if (!r.ok()) {
                // the service did not take the new tree: put the old one back and reload again
                if (previous != null) {
                    releases.activate(previous);
                    hook(config.reload(), hookEnv(applied == null ? 0 : applied, previous));
                }
                releases.discard(staged);
                throw new ApplyFailed("reload hook failed (" + (r.timedOut() ? "timed out" : "exit " + r.exitCode()) + "): "
                        + r.output().strip());
            }
        }
        applied = version;
        everApplied.add(version);
        releases.prune();
        log.info("agent {}: applied v{}", config.host(), version);
    }

    private Map<String, String> hookEnv(int version, Path release) {
        Map<String, String> env = new HashMap<>();
        env.put("ROLLGUARD_VERSION", Integer.toString(version));
        env.put("ROLLGUARD_RELEASE_DIR", release.toString());
        env.put("ROLLGUARD_CURRENT", releases.current().toString());
        env.put("ROLLGUARD_TARGET", releases.target().toString());
        return env;
    }

    private Processes.Result hook(String command, Map<String, String> env) {
        return Processes.run(List.of("sh", "-c", command), releases.target(), env, config.hookTimeout());
    }

    // ------------------------------------------------------------------ reporting

    private void reportLoop() {
        while (running) {
            try {
                Thread.sleep(config.reportInterval().toMillis());
                report();
            } catch (InterruptedException e) {
                return;
            } catch (IOException | ServerError e) {
                connected = false;
            }
        }
    }

    /** Sends the applied version and the health samples not yet delivered (the last minute at most). */
    void report() throws IOException, InterruptedException {
        List<HealthStore.Sample> batch;
        synchronized (unsent) {
            unsent.addLast(window.drain(clock.instant(), applied));
            while (unsent.size() > 120) unsent.pollFirst();
            batch = new ArrayList<>(unsent);
        }
        AgentProtocol.Desired r = post(AgentProtocol.reportPath(config.service(), config.env(), config.host()),
                new AgentProtocol.Report(applied, failedVersion, applyError, batch), AgentProtocol.Desired.class);
        synchronized (unsent) {
            for (int i = 0; i < batch.size() && !unsent.isEmpty(); i++) unsent.pollFirst();
        }
        connected = true;
        Integer want = r.desiredVersion();
        if (want != null && !want.equals(desired)) desired = want;
    }

    // ------------------------------------------------------------------ HTTP

    static final class ServerError extends RuntimeException {
        final int status;
        final String code;

        ServerError(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private String server() {
        List<String> s = config.servers();
        return s.get(Math.floorMod(serverIndex.get(), s.size()));
    }

    private <T> T get(String path, Duration timeout, Class<T> answer) throws IOException, InterruptedException {
        return Json.MAPPER.treeToValue(send(HttpRequest.newBuilder(URI.create(server() + path)).timeout(timeout).GET()), answer);
    }

    private <T> T post(String path, Object body, Class<T> answer) throws IOException, InterruptedException {
        return Json.MAPPER.treeToValue(send(HttpRequest.newBuilder(URI.create(server() + path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(Json.write(body)))), answer);
    }

    private JsonNode send(HttpRequest.Builder b) throws IOException, InterruptedException {
        if (config.token() != null) b.header("Authorization", "Bearer " + config.token());
        HttpResponse<String> r = http.send(b.header("X-Rollguard-Actor", "agent:" + config.host()).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = r.body().isBlank() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(r.body());
        if (r.statusCode() >= 500) throw new IOException("server answered " + r.statusCode());
        if (r.statusCode() >= 400) {
            throw new ServerError(r.statusCode(), body.path("error").path("code").asText(), body.path("error").path("message").asText());
        }
        return body;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
