package dev.rollguard;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.net.OutgoingPolicy;
import dev.rollguard.sim.Fleet;
import dev.rollguard.validate.CommandValidators;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/** A real server on a free port with its own SQLite file, for end-to-end tests. */
public final class TestServer implements AutoCloseable {
    public final Path dir;
    public final Rollguard server;
    /** The first admin's token of every test server (set at bootstrap, so restarts on the same data keep it). */
    /**
     * How long a test waits for a condition that holds within a second or two on an idle machine. CI machines are busy
     * (other builds, a CPU hog in the load runs of issue 15), so waits are generous: a passing condition returns at once,
     * only a broken one costs the whole wait.
     */
    public static final Duration PATIENCE = Duration.ofSeconds(120);
    public static final String ADMIN_TOKEN = "rg_test-admin-token-0123456789abcdef";
    private final HttpClient http = HttpClient.newHttpClient();

    /** Tests' receivers (webhooks, Prometheus) listen on loopback: allowed here, refused by a server's default policy. */
    public static final OutgoingPolicy LOOPBACK = OutgoingPolicy.parse("loopback");
    /** Where bubblewrap is not installed, tests' servers start without it (external checks skipped, as Parts skips their tests). */
    private static final boolean NO_BWRAP = Processes.which("bwrap").isEmpty();

    public TestServer(Limits limits, long maxBody) {
        this(tempDir(), 0, limits, maxBody);
    }

    /** A server on a given port and data directory: start a second one on the same pair to simulate a restart. */
    public TestServer(Path dir, int port, Limits limits, long maxBody) {
        this(dir, port, limits, maxBody, UnaryOperator.identity());
    }

    /** As above, its settings as {@code tweak} changes them (a restart with other settings). */
    public TestServer(Path dir, int port, UnaryOperator<Rollguard.Settings> tweak) {
        this(dir, port, Limits.DEFAULT, 16L * 1024 * 1024, tweak);
    }

    private TestServer(Path dir, int port, Limits limits, long maxBody, UnaryOperator<Rollguard.Settings> tweak) {
        this.dir = dir;
        server = Rollguard.start(tweak.apply(new Rollguard.Settings(dir.resolve("rollguard.db").toString(), "127.0.0.1", port, limits, maxBody)
                .withBootstrapToken(ADMIN_TOKEN).withOutgoing(LOOPBACK).startingWithoutSandbox(NO_BWRAP)));
    }

    /** The version a host of service wp's testing environment last reported applied, as the server recorded it (null: no such host). */
    public String appliedOf(String host) {
        for (var h : get("/api/v1/services/wp/environments/testing/hosts")) {
            if (h.path("host").asText().equals(host)) return h.path("appliedVersion").asText();
        }
        return null;
    }

    /** Where the server's agents' channel has a port of its own (its base URL, as the server advertises it to agents on loopback). */
    public String channelUrl() {
        return "ws://127.0.0.1:" + server.channelPort();
    }

    /**
     * A server on another database (e.g. a PostgreSQL URL), its key files in {@code keyDir} (servers sharing the database
     * share it; never the checkout's ./data).
     */
    public TestServer(String database, Path keyDir) {
        this.dir = tempDir();
        server = Rollguard.start(new Rollguard.Settings(database, "127.0.0.1", 0, Limits.DEFAULT, 16L * 1024 * 1024)
                .withBootstrapToken(ADMIN_TOKEN).withKeyDir(keyDir).withOutgoing(LOOPBACK).startingWithoutSandbox(NO_BWRAP));
    }

    /** A server whose operator declared these command validators. */
    public TestServer(CommandValidators validators) {
        this.dir = tempDir();
        server = Rollguard.start(new Rollguard.Settings(dir.resolve("rollguard.db").toString(), "127.0.0.1", 0, Limits.DEFAULT, 16L * 1024 * 1024)
                .withBootstrapToken(ADMIN_TOKEN).withOutgoing(LOOPBACK).startingWithoutSandbox(NO_BWRAP).withValidators(validators));
    }

    /** A server whose settings are the other test servers' as {@code tweak} changes them. */
    public TestServer(UnaryOperator<Rollguard.Settings> tweak) {
        this.dir = tempDir();
        server = Rollguard.start(tweak.apply(new Rollguard.Settings(dir.resolve("rollguard.db").toString(), "127.0.0.1", 0, Limits.DEFAULT,
                16L * 1024 * 1024).withBootstrapToken(ADMIN_TOKEN).withOutgoing(LOOPBACK).startingWithoutSandbox(NO_BWRAP)));
    }

    /** A server with this outgoing address policy (the others allow loopback, where tests' receivers listen). */
    public TestServer(OutgoingPolicy outgoing) {
        this.dir = tempDir();
        server = Rollguard.start(new Rollguard.Settings(dir.resolve("rollguard.db").toString(), "127.0.0.1", 0, Limits.DEFAULT, 16L * 1024 * 1024)
                .withBootstrapToken(ADMIN_TOKEN).withOutgoing(outgoing).startingWithoutSandbox(NO_BWRAP));
    }

    public TestServer(Path dir, int port) {
        this(dir, port, Limits.DEFAULT, 16L * 1024 * 1024);
    }

    public static Path tempDir() {
        try {
            return Files.createTempDirectory("rollguard-test-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the server but keeps its database, for restart tests. */
    public void stopKeepingData() {
        server.close();
    }

    public TestServer() {
        this(Limits.DEFAULT, 16L * 1024 * 1024);
    }

    public String url() { return server.url(); }

    public record Response(int status, String body) {}

    public String token() { return ADMIN_TOKEN; }

    /** A request as the admin. */
    public Response send(String method, String path, String body) {
        return send(method, path, body, ADMIN_TOKEN);
    }

    /** A request with another token (null: none). */
    public Response send(String method, String path, String body, String token) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) b.header("Content-Type", "application/json");
            if (token != null) b.header("Authorization", "Bearer " + token);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(Response r) {
        try {
            return Json.MAPPER.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError(r.body(), e);
        }
    }

    public JsonNode get(String path) {
        Response r = send("GET", path, null);
        if (r.status() != 200) throw new AssertionError("GET " + path + " -> " + r.status() + ": " + r.body());
        return json(r);
    }

    /** Pushes a version of service wp; returns its number. */
    public int push(Map<String, String> files, String message, String breakGlass) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("files", files);
        body.put("message", message);
        if (breakGlass != null) body.put("breakGlass", breakGlass);
        Response r = send("POST", "/api/v1/services/wp/versions", Json.write(body));
        if (r.status() != 201) throw new AssertionError("push -> " + r.status() + ": " + r.body());
        return json(r).path("version").path("number").asInt();
    }

    /** Starts a rollout of service wp; returns the rollout. */
    public JsonNode release(String env, int version, String breakGlass) {
        String body = "{\"version\": " + version + (breakGlass == null ? "" : ", \"breakGlass\": \"" + breakGlass + "\"") + "}";
        Response r = send("POST", "/api/v1/services/wp/environments/" + env + "/release", body);
        if (r.status() != 201) throw new AssertionError("release -> " + r.status() + ": " + r.body());
        return json(r);
    }

    /** Waits until a rollout is neither running nor paused; returns it with its events. */
    public JsonNode awaitTerminal(String id) {
        JsonNode[] last = new JsonNode[1];
        Awaitility.await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> {
            last[0] = get("/api/v1/rollouts/" + id);
            return !List.of("RUNNING", "PAUSED").contains(last[0].path("state").asText());
        });
        return last[0];
    }

    /** Simulated hosts of wp/production whose real agents talk to this server, started and registered. */
    public Fleet startFleet(int hosts, Path dir) throws IOException {
        Fleet fleet = new Fleet(List.of(url()), "wp", "production", hosts, dir,
                Duration.ofMillis(250), true, token()).start();
        try {
            Awaitility.await().atMost(PATIENCE)
                    .until(() -> get("/api/v1/services/wp/environments/production/hosts").size() == hosts);
        } catch (RuntimeException | Error e) {
            fleet.close();
            throw e;
        }
        return fleet;
    }

    @Override
    public void close() {
        server.close();
        TreeLoader.deleteRecursively(dir);
    }

    /**
     * A server in a JVM of its own (for tests that kill it or starve it of memory), with the admin token
     * {@link #ADMIN_TOKEN}, its output in {@code dir/server.log}; returns once its health check answers 200.
     */
    public static Process startProcess(Path dir, int port, String... jvmOptions) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.rollguard.cli.Main", "server", "--db",
                dir.resolve("rollguard.db").toString(), "--port", String.valueOf(port), "--channel-port", "0"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
        pb.environment().put("ROLLGUARD_BOOTSTRAP_TOKEN", ADMIN_TOKEN);
        pb.environment().put("ROLLGUARD_ALLOW_OUTGOING", "loopback");
        Process server = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        URI health = URI.create("http://127.0.0.1:" + port + "/api/v1/health");
        Awaitility.await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        return server;
    }
}
