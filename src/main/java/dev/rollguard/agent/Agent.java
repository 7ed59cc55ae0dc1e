package dev.rollguard.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.Processes;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.TreeWire;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.HealthSample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    /** Failures the agent reports once and does not retry: the tree itself is bad. */
    static final class ApplyFailed extends Exception {
        final AgentProtocol.HostFailure failure;

        ApplyFailed(String message) {
            this(new AgentProtocol.HostFailure(AgentProtocol.Stage.APPLY, message, null));
        }

        ApplyFailed(AgentProtocol.HostFailure failure) {
            super(failure.message());
            this.failure = failure;
        }
    }

    private final AgentConfig config;
    private final ReleaseDirectory releases;
    private final HealthWindow window;
    private final Clock clock;
    private final HttpClient http;
    /** Which of the server URLs the agent talks to: starts at one picked by the host's id, moves on at each failure. */
    private final AtomicInteger serverIndex;
    private final Deque<HealthSample> unsent = new ArrayDeque<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    private volatile Integer applied;
    private final Set<Integer> everApplied = ConcurrentHashMap.newKeySet();
    private volatile Integer failedVersion;
    private volatile AgentProtocol.HostFailure failure;
    /** The service's preflight probes, as the server sent them with the version being applied (null: none declared). */
    private volatile AgentProtocol.PreflightSpec servicePreflight;
    private volatile Integer desired;
    private volatile AgentProtocol.Bundle inlineBundle;
    private volatile boolean connected;
    /** The server has a stream (until it answers that it has none). */
    private boolean streamUsable = true;
    /** The server has a channel (until it refuses one; tried again after the host registers again). */
    private boolean channelUsable = true;
    /** The channel: the poll thread follows it, the reports take it while it is open. */
    private final DesiredChannel.Link channel = new DesiredChannel.Link();
    /** How the last answer came: "channel", "stream" or "long-poll" (null: none yet). */
    private volatile String heardBy;
    /** The next round is a long-poll: the stream just ended or dropped. */
    private boolean longPollOnce;
    private final Object applyLock = new Object();
    private final Object switchLock = new Object();

    public Agent(AgentConfig config, HealthWindow window, Clock clock) {
        this(config, window, clock, newHttpClient());
    }

    /**
     * An agent speaking through {@code http}: the agents of several services on one host share one client, its
     * connections kept alive and reused between their requests.
     */
    public Agent(AgentConfig config, HealthWindow window, Clock clock, HttpClient http) {
        this.http = http;
        this.config = config;
        this.window = window;
        this.clock = clock;
        // every host is given the same list of replicas: starting each at one its id picks spreads a fleet over them
        this.serverIndex = new AtomicInteger(Math.floorMod(config.host().hashCode(), config.servers().size()));
        this.releases = new ReleaseDirectory(config.target(), config.keep());
        this.applied = releases.currentVersion();
        if (applied != null) everApplied.add(applied);
    }

    public static HttpClient newHttpClient() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    }

    public Agent start() {
        threads.add(thread("agent-poll-" + config.service() + "-" + config.host(), this::pollLoop));
        threads.add(thread("agent-report-" + config.service() + "-" + config.host(), this::reportLoop));
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
    /** Why {@link #failedVersion()} failed here (null: nothing failed). */
    public AgentProtocol.HostFailure failure() { return failure; }
    public boolean connected() { return connected; }
    /** How the last answer from the server came: "channel", "stream" or "long-poll" (null: none yet). */
    public String heardBy() { return heardBy; }
    /** Where the agent's channel was last opened: the server's channel port's URL, or the server's URL (null: never). */
    public String channelVia() { return channel.via(); }
    public ReleaseDirectory releases() { return releases; }
    /** The server URL the agent talks to now (of several, the one its host id picked, or the next after a failure). */
    public String server() {
        List<String> s = config.servers();
        return s.get(Math.floorMod(serverIndex.get(), s.size()));
    }

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
                if (config.stream() && config.channel() && channelUsable && !longPollOnce) {
                    longPollOnce = true;
                    channelUsable = channel.follow(http, server(), config, known, (d, k) -> took("channel", d, k));
                    // a server (or proxy) without the channel: the stream next, at once
                    if (!channelUsable) longPollOnce = false;
                    continue;
                }
                if (config.stream() && streamUsable && !longPollOnce) {
                    // after the stream ends or drops, one long-poll: what was released meanwhile comes with it
                    longPollOnce = true;
                    DesiredStream.End end = DesiredStream.follow(http, server(), config, known, (d, k) -> took("stream", d, k));
                    if (end == DesiredStream.End.UNSUPPORTED) {
                        streamUsable = false;
                        log.info("agent {}: the server has no stream; long-polling", config.host());
                    }
                    continue;
                }
                AgentProtocol.Desired d = get(AgentProtocol.desiredPath(config.service(), config.env(), config.host(), known, true,
                        config.longPoll().toSeconds()), config.longPoll().plusSeconds(10), AgentProtocol.Desired.class);
                connected = true;
                failures = 0;
                longPollOnce = false;
                heardBy = "long-poll";
                take(d, known);
            } catch (ServerError e) {
                if (e.status == 404 && "unknown_host".equals(e.code)) registered = false;
                failures = backoff(failures, e.getMessage(), e);
            } catch (IOException e) {
                connected = false;
                failures = backoff(failures, e.getMessage(), e);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // the poll thread is the agent: whatever happens, it backs off and polls again
                log.warn("agent {}: poll failed: {}", config.host(), e.toString());
                failures = backoff(failures, e.toString(), e);
            }
        }
    }

    /** An answer on the channel or the stream ({@code by}), to a host that had heard of {@code known}: taken as a long-poll's. */
    private void took(String by, AgentProtocol.Desired d, String known) throws IOException, InterruptedException {
        connected = true;
        heardBy = by;
        take(d, known);
    }

    /** An answer (long-poll or stream) to what the host had {@code known}: the version to converge to, its probes and bundle. */
    private void take(AgentProtocol.Desired d, String known) throws IOException, InterruptedException {
        desired = d.desiredVersion();
        // the probes come with a version this host has not acted on: the one it is about to stage
        if (d.desiredVersion() != null && !AgentProtocol.known(d.desiredVersion()).equals(known)) servicePreflight = d.preflight();
        // the answer carries the new version's bundle when it is small: no second request for it
        inlineBundle = d.carriesBundle() ? d.bundle() : null;
        converge();
    }

    /**
     * Sleeps 0.5 s · 2^n (at most 30 s), ±50 % jitter, or as long as the server's Retry-After said when that is longer
     * ({@link Unavailable}), and moves on to the next server URL.
     */
    private int backoff(int failures, String why, Throwable failure) {
        long base = Math.min(30_000, 500L << Math.min(failures, 6));
        long sleep = Unavailable.waitMillis((long) (base * (0.5 + ThreadLocalRandom.current().nextDouble())), failure);
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
                config.host(), config.labels()), AgentProtocol.Registered.class);
        desired = r.desiredVersion();
        channel.heard(server(), r.channelUrl());
        // registered again (the server had forgotten the host, which is also what refuses a channel): the channel is tried again
        channelUsable = true;
        // no converge here: the next long-poll answers at once with the version, its bundle and the service's probes
        report();
    }

    /** Applies the desired version unless it is what runs, or what just failed here. */
    void converge() throws IOException, InterruptedException {
        synchronized (applyLock) {
            Integer want = desired;
            if (want == null || want.equals(applied) || want.equals(failedVersion)) return;
            try {
                apply(want);
                failedVersion = null;
                failure = null;
            } catch (ApplyFailed e) {
                failed(want, e.failure);
            } catch (RuntimeException e) {
                // anything else that goes wrong with one version (a name the file system refuses, a full disk, the server
                // refusing its bundle) fails that version, not the agent: it is reported, and the agent waits for the next
                failed(want, new AgentProtocol.HostFailure(AgentProtocol.Stage.APPLY, e instanceof ServerError se
                        ? "server refused the bundle (" + se.status + " " + se.code + "): " + se.getMessage()
                        : e.getMessage() == null ? e.toString() : e.getMessage(), null));
            }
        }
        report();
    }

    private void failed(int version, AgentProtocol.HostFailure why) {
        failedVersion = version;
        failure = why;
        log.warn("agent {}: v{} not applied ({}): {}", config.host(), version, why.stage(), why.message());
    }

    private void apply(int version) throws IOException, InterruptedException, ApplyFailed {
        AgentProtocol.Bundle inline = inlineBundle;
        inlineBundle = null;
        // the version as rendered for this host: with the long-poll's answer when it was small enough, else fetched
        AgentProtocol.Bundle bundle = inline != null && inline.isFor(config.service(), version, config.env(), config.host()) ? inline
                : get(AgentProtocol.bundlePath(config.service(), version, config.env(), config.host()), Duration.ofMinutes(2), AgentProtocol.Bundle.class);
        if (!bundle.isFor(config.service(), version, config.env(), config.host())) {
            throw new ApplyFailed("the server sent the bundle of " + bundle.service() + " v" + bundle.version() + " for " + bundle.env() + "/"
                    + bundle.host() + ", not v" + version + " for this host");
        }
        Path staged;
        try {
            // every file's and link's SHA-256 is checked here, and the tree's hash over all of them
            ConfigTree tree = TreeWire.verifiedTree(bundle);
            staged = releases.stage(version, tree);
        } catch (Problem | Owners.UnknownOwner e) {
            // a tree that cannot stand here (a bad path, an owner this host does not know): nothing changed on the host
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
        Safeguards guard = config.safeguards();
        if (guard.preflightOn()) {
            AgentProtocol.PreflightSpec probes = guard.probes(servicePreflight);
            Optional<AgentProtocol.HostFailure> caught = Preflight.check(guard.shadow(), probes, staged, env,
                    releases.currentRelease(), guard.replayRequests(probes));
            if (caught.isPresent()) {
                releases.discard(staged);
                throw new ApplyFailed(caught.get());
            }
        }
        Path previous;
        Integer before;
        // the switch itself under switchLock: the watchdog's revert takes only this lock, never waiting for a staging
        synchronized (switchLock) {
            if (Integer.valueOf(version).equals(applied)) {
                // the local watchdog reverted to this very version while it was being staged (the server's rollback
                // asked for it too): it is live already
                releases.discard(staged);
                return;
            }
            // close the health window on the old version: what is served from now on belongs to the new one
            synchronized (unsent) {
                unsent.addLast(window.drain(clock.instant(), applied));
            }
            previous = releases.activate(staged);
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
            before = applied;
            applied = version;
            everApplied.add(version);
        }
        releases.prune();
        log.info("agent {}: applied v{}", config.host(), version);
        if (guard.watchdog() != null && previous != null) watch(version, before, previous, guard.watchdog());
    }

    // ------------------------------------------------------------------ local watchdog

    /** Watches this host's own requests after the switch to {@code version}; reverts to {@code previous} on a hard failure. */
    private void watch(int version, Integer previousVersion, Path previous, Watchdog.Settings settings) {
        Watchdog.Watch watch = new Watchdog.Watch(settings, System.nanoTime(), window.totals());
        Thread t = thread("agent-watchdog-" + config.host(), () -> {
            while (running) {
                long nanos = System.nanoTime();
                if (watch.over(nanos) || !Integer.valueOf(version).equals(applied)) return;
                if (watch.observe(nanos, window.totals()) instanceof Watchdog.Revert r) {
                    revert(version, previousVersion, previous, r.reason());
                    return;
                }
                try {
                    // two longs read under a lock, and only during the window: at 100 req/s a revert comes at most one request late
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        synchronized (threads) {
            threads.removeIf(x -> !x.isAlive());
            threads.add(t);
        }
    }

    /**
     * Not under applyLock: the server's own rollback may be staging the previous version again right now, which takes
     * seconds on a busy disk, while this host keeps serving the failing one.
     */
    private void revert(int version, Integer previousVersion, Path previous, String reason) {
        synchronized (switchLock) {
            if (!Integer.valueOf(version).equals(applied)) return;
            // what was served until now belongs to the failed version
            synchronized (unsent) {
                unsent.addLast(window.drain(clock.instant(), applied));
            }
            releases.activate(previous);
            if (config.reload() != null) hook(config.reload(), hookEnv(previousVersion == null ? 0 : previousVersion, previous));
            applied = previousVersion;
            failedVersion = version;
            failure = new AgentProtocol.HostFailure(AgentProtocol.Stage.WATCHDOG, reason, null);
            log.warn("agent {}: v{} reverted to v{} by the local watchdog: {}", config.host(), version, previousVersion, reason);
        }
        try {
            report();
        } catch (IOException | InterruptedException | ServerError e) {
            // the report loop delivers it on its next turn
        }
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
                // told to come back later: the next report waits that much longer
                long wait = Unavailable.waitMillis(0, e);
                try {
                    if (wait > 0) Thread.sleep(wait);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** Sends the applied version and the health samples not yet delivered (the last minute at most). */
    void report() throws IOException, InterruptedException {
        List<HealthSample> batch;
        synchronized (unsent) {
            unsent.addLast(window.drain(clock.instant(), applied));
            while (unsent.size() > 120) unsent.pollFirst();
            batch = new ArrayList<>(unsent);
        }
        AgentProtocol.Report report = new AgentProtocol.Report(applied, failedVersion, failure == null ? null : failure.message(), batch, failure);
        // on the open channel (answered once committed); by POST when there is none or it could not carry the report
        AgentProtocol.Desired r = channel.report(report);
        if (r == null) r = post(AgentProtocol.reportPath(config.service(), config.env(), config.host()), report, AgentProtocol.Desired.class);
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
        // where this server's channel has a port of its own (a server the agent moved to says so on its long-poll)
        r.headers().firstValue(AgentProtocol.CHANNEL_HEADER).ifPresent(url -> channel.heard(r.uri().toString(), url));
        if (r.statusCode() >= 500) throw new Unavailable("server answered " + r.statusCode(), Unavailable.retryAfter(r.headers()));
        if (r.statusCode() >= 400) {
            throw new ServerError(r.statusCode(), body.path("error").path("code").asText(), body.path("error").path("message").asText());
        }
        return body;
    }

    @Override
    public void close() {
        running = false;
        channel.close();
        List<Thread> all;
        synchronized (threads) {
            all = List.copyOf(threads);
        }
        all.forEach(Thread::interrupt);
        for (Thread t : all) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
