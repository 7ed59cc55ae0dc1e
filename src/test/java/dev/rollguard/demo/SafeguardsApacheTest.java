package dev.rollguard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.Parts;
import dev.rollguard.TestServer;
import dev.rollguard.agent.Watchdog;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.config.TreeWire;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16 on the real LAMP stack: Debian's WordPress on Apache 2 + mod_php hosts and a private MariaDB, installed through
 * WordPress's own installer; the seed's '.phpp' typo goes into the real wp-settings.php and straight to production with
 * break-glass. Each safeguard is shown by the run with it on, and its claim is checked to fail in the run with it off:
 * preflight (probing the spec's pages on a shadow Apache) stops it before any user; without preflight the canary's local
 * watchdog reverts it; without either the server's canary analysis rolls it back.
 * <p>One server for the class (it has linted WordPress's PHP once, the cost of every first push), a service of its own
 * per test: no test sees another's versions, hosts, rollouts or incidents.
 */
class SafeguardsApacheTest {
    private static final int HOSTS = 2;
    private static final double RPS = 4;
    /**
     * The server's analysis waits for 40 errors (ceiling; the sequential test, at alpha 1e-40, never first), 10 s of the canary's
     * requests here, so that the watchdog run shows what the host does alone: after a graceful restart the requests the
     * old workers finish are logged too, and the watchdog's 80 % comes a few seconds late on a busy machine. A cold
     * WordPress page after a switch is slower, not broken (latency slack).
     */
    private static final int SERVER_ERRORS = 40;
    private static final Map<String, Object> ANALYSIS = Map.of("alpha", 1e-40, "minErrorCount", SERVER_ERRORS, "latencySlackMillis", 500);

    private static MariaDb db;
    private static ConfigTree site;
    private static TestServer ts;
    private static int tests;
    private String service;
    private Path hosts;

    @BeforeAll
    static void lamp() throws Exception {
        Parts.need("APACHE", ApacheHost.missing().isEmpty(), "Apache + mod_php not installed: " + ApacheHost.missing().orElse(""));
        Parts.need("MARIADB", MariaDb.missing().isEmpty(), "MariaDB + php-mysql not installed (" + MariaDb.APT_INSTALL + ")");
        db = MariaDb.start(WordPressSite.DATABASE, WordPressSite.USER, WordPressSite.password(), TestServer.PATIENCE);
        site = WordPressSite.tree(db.wordpressHost());
        Path scratch = TestServer.tempDir();
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
        WordPressSite.install(site, scratch.resolve("setup"), TestServer.PATIENCE);
        ts = new TestServer(Limits.DEFAULT, 256L << 20);
    }

    @AfterAll
    static void stop() {
        if (ts != null) ts.close();
        if (db != null) db.close();
    }

    @BeforeEach
    void service() throws Exception {
        service = "wp" + (++tests);
        hosts = ts.dir.resolve("hosts-" + service);
        Files.createDirectories(hosts);
        // Apache's workers run as www-data when the tests run as root: they must reach the trees
        for (Path d : List.of(ts.dir, hosts)) Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void cleanUp() {
        // the test's fleet is closed: no Apache of the server's directory may be left (no other test runs meanwhile)
        String dir = ts.dir.toString();
        long left = ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(dir)).count();
        TreeLoader.deleteRecursively(hosts);
        assertThat(left).as("apache processes left behind").isZero();
    }

    /** What one release of the typo did: the rollout, its rollback event, the load's counts, the hosts, the incident. */
    private record Outcome(JsonNode rollout, JsonNode rollback, long sent, long failed, long answered5xx, int hostsThatServedBad,
                           JsonNode incident) {}

    private void spec(List<Map<String, Object>> waves) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("environments", List.of("testing", "production"));
        spec.put("rollout", Map.of("promotionBakeSeconds", 0, "analysis", ANALYSIS, "waves", waves));
        // the pages every agent's preflight requests: from the service's spec, sent with the version
        spec.put("preflight", WordPressSite.probes());
        assertThat(ts.send("PUT", "/api/v1/services/" + service, Json.write(spec)).status()).isEqualTo(200);
    }

    private int push(ConfigTree tree, String message, String breakGlass) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("entries", TreeWire.encode(tree));
        body.put("message", message);
        if (breakGlass != null) body.put("breakGlass", breakGlass);
        TestServer.Response r = ts.send("POST", "/api/v1/services/" + service + "/versions", Json.write(body));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return TestServer.json(r).path("version").path("number").asInt();
    }

    /** Starts a rollout of this test's service to production; returns its id. */
    private String release(int version, String breakGlass) {
        TestServer.Response r = ts.send("POST", "/api/v1/services/" + service + "/environments/production/release",
                Json.write(Map.of("version", version, "breakGlass", breakGlass)));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return TestServer.json(r).path("id").asText();
    }

    private Outcome releaseTheTypo(boolean preflight, Watchdog.Settings watchdog) throws Exception {
        try (DemoFleet.Apache fleet = new DemoFleet.Apache(ts.url(), service, HOSTS, hosts, Map.of("production", ts.token(), "testing", ts.token()),
                preflight, watchdog)) {
            // the healthy site on every production host at once, then a canary for what comes next
            spec(List.of(Map.of("percent", 100, "bakeSeconds", 0)));
            int v1 = push(site, "initial", null);
            assertThat(ts.awaitTerminal(release(v1, "first release")).path("state").asText())
                    .isEqualTo("COMPLETE");
            await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion("production", v1) == HOSTS);
            // the canary bakes long enough for the analysis to see its 40 errors at 4 req/s, even late, on a busy machine
            spec(List.of(Map.of("hosts", 1, "bakeSeconds", 30), Map.of("percent", 100, "bakeSeconds", 1)));
            fleet.startLoad(RPS);
            await().atMost(TestServer.PATIENCE).until(() -> fleet.requestsSent() > 3 * RPS * HOSTS);
            long sentBefore = fleet.requestsSent();
            long failedBefore = fleet.requestsFailed();
            long errorsBefore = fleet.requestsAnswered5xx();

            int bad = push(WordPressSite.withTypo(site), "speed up settings loading", "hotfix");
            JsonNode end = ts.awaitTerminal(release(bad, "hotfix"));
            await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion("production", v1) == HOSTS);
            Thread.sleep(1000); // requests in flight at the rollback
            JsonNode rollback = null;
            for (JsonNode e : end.path("events")) {
                if ("rollback_started".equals(e.path("type").asText())) rollback = e;
            }
            String rolloutId = end.path("id").asText();
            JsonNode[] incident = new JsonNode[1];
            await().atMost(TestServer.PATIENCE).until(() -> {
                for (JsonNode i : ts.get("/api/v1/incidents?service=" + service)) {
                    if ("ROLLBACK".equals(i.path("source").asText()) && rolloutId.equals(i.path("rolloutId").asText())) incident[0] = i;
                }
                return incident[0] != null;
            });
            return new Outcome(end, rollback, fleet.requestsSent() - sentBefore, fleet.requestsFailed() - failedBefore,
                    fleet.requestsAnswered5xx() - errorsBefore, fleet.hostsThatApplied("production", bad).size(), incident[0]);
        }
    }

    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void preflightCatchesTheTypoBeforeAnyUser() throws Exception {
        caughtInPreflight(releaseTheTypo(true, null));
    }

    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void withoutPreflightTheWatchdogRevertsTheCanary() throws Exception {
        Outcome o = releaseTheTypo(false, Watchdog.Settings.DEFAULT);
        revertedLocally(o);
        assertThatThrownBy(() -> caughtInPreflight(o)).as("preflight off: its claim fails").isInstanceOf(AssertionError.class);
    }

    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void withoutEitherTheCanaryAnalysisRollsBack() throws Exception {
        Outcome o = releaseTheTypo(false, null);
        rolledBackByTheAnalysis(o);
        assertThatThrownBy(() -> revertedLocally(o)).as("watchdog off: its claim fails").isInstanceOf(AssertionError.class);
    }

    private static void caughtInPreflight(Outcome o) {
        assertThat(o.rollout().path("state").asText()).isEqualTo("ROLLED_BACK");
        assertThat(o.sent()).isPositive();
        assertThat(o.hostsThatServedBad()).as("hosts that served the typo").isZero();
        assertThat(o.answered5xx()).as("user requests answered 5xx").isZero();
        JsonNode d = o.rollback().path("data");
        assertThat(d.path("failedStage").asText()).as(o.rollout().path("reason").asText()).isEqualTo("PREFLIGHT");
        assertThat(d.path("neverServed").asBoolean()).isTrue();
        assertThat(d.path("probePath").asText()).isEqualTo("/");
        assertThat(d.path("probeStatus").asInt()).as("the typo's fatal error").isEqualTo(500);
        assertThat(d.path("probeExpectedStatus").asInt()).isEqualTo(200);
        assertThat(o.incident().path("title").asText()).contains("caught in preflight", "0 requests failed");
        assertThat(o.incident().path("analysis").path("failedStage").asText()).isEqualTo("PREFLIGHT");
    }

    private static void revertedLocally(Outcome o) {
        assertThat(o.rollout().path("state").asText()).isEqualTo("ROLLED_BACK");
        // the rollout failed on the canary's own typed report, not on the server's analysis of its health
        assertThat(o.rollback().path("data").path("failedStage").asText()).as(o.rollout().path("reason").asText()).isEqualTo("WATCHDOG");
        assertThat(o.hostsThatServedBad()).as("only the canary served the typo").isEqualTo(1);
        assertThat(o.answered5xx()).as("user requests answered 5xx: fewer than the server's analysis waits for").isPositive()
                .isLessThan(SERVER_ERRORS);
    }

    private static void rolledBackByTheAnalysis(Outcome o) {
        assertThat(o.rollout().path("state").asText()).isEqualTo("ROLLED_BACK");
        assertThat(o.rollback().path("data").has("failedStage")).as("no host reported it, the server decided: " + o.rollout().path("reason").asText())
                .isFalse();
        assertThat(o.hostsThatServedBad()).as("only the canary served the typo").isEqualTo(1);
        assertThat(o.answered5xx()).as("user requests answered 5xx").isPositive();
    }

    /**
     * Issue 29: a mistake that {@code GET /} cannot see. An admin's rewrite rule meant for wp-config.php also forbids the
     * login page; the probe of {@code /} passes, the replay of the hosts' own recent requests (a mix of pages) finds
     * {@code /wp-login.php} answering 403 where the current version served it, and no user ever gets the 403. A
     * harmless .htaccess change before it passes the same replay.
     */
    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void replayCatchesARewriteRuleThatBreaksOnlyTheLoginPage() throws Exception {
        try (DemoFleet.Apache fleet = new DemoFleet.Apache(ts.url(), service, HOSTS, hosts, Map.of("production", ts.token(), "testing", ts.token()),
                true, null)) {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("environments", List.of("testing", "production"));
            // this test is about preflight: hosts whose reports come late on a busy machine are not what it judges
            spec.put("rollout", Map.of("promotionBakeSeconds", 0, "analysis", ANALYSIS, "heartbeatTimeoutSeconds", 120,
                    "waves", List.of(Map.of("percent", 100, "bakeSeconds", 0))));
            // the probe is the front page alone: what it cannot see is the replay's to find
            spec.put("preflight", Map.of("probes", List.of(Map.of("path", "/", "status", 200)), "timeoutSeconds", 60,
                    "replay", Map.of("budgetSeconds", 60)));
            assertThat(ts.send("PUT", "/api/v1/services/" + service, Json.write(spec)).status()).isEqualTo(200);
            int v1 = push(site, "initial", null);
            JsonNode first = ts.awaitTerminal(release(v1, "first release"));
            assertThat(first.path("state").asText()).as(first.path("reason").asText()).isEqualTo("COMPLETE");
            await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion("production", v1) == HOSTS);

            List<String> pages = List.of("", "wp-login.php", "?feed=rss2", "?p=1", "wp-includes/css/buttons.min.css");
            fleet.startLoad(RPS, pages);
            // every page asked of every host a few times: each agent's replay set holds the mix
            await().atMost(TestServer.PATIENCE).until(() -> fleet.requestsSent() > 3L * pages.size() * HOSTS);
            // answered errors only: on a busy machine a request may go unanswered within the load generator's 5 s
            assertThat(fleet.requestsAnswered4xx() + fleet.requestsAnswered5xx()).as("the healthy site serves the whole mix").isZero();

            ConfigTree harmless = site.with(Map.of(".htaccess", "# rules for this site go here\n"));
            int v2 = push(harmless, "an empty .htaccess of our own", "harmless");
            JsonNode healthy = ts.awaitTerminal(release(v2, "harmless"));
            assertThat(healthy.path("state").asText()).as("a healthy change passes the replay: " + healthy.path("reason").asText())
                    .isEqualTo("COMPLETE");
            await().atMost(TestServer.PATIENCE).until(() -> fleet.onVersion("production", v2) == HOSTS);

            long sentBefore = fleet.requestsSent();
            long brokenBefore = fleet.requestsAnswered4xx() + fleet.requestsAnswered5xx();
            ConfigTree bad = site.with(Map.of(".htaccess", "RewriteEngine On\n# keep wp-config.php away from the web\n"
                    + "RewriteRule ^wp-(config|login)\\.php$ - [F]\n"));
            int v3 = push(bad, "deny wp-config.php", "hotfix");
            JsonNode end = ts.awaitTerminal(release(v3, "hotfix"));
            assertThat(end.path("state").asText()).isEqualTo("ROLLED_BACK");
            JsonNode rollback = null;
            for (JsonNode e : end.path("events")) {
                if ("rollback_started".equals(e.path("type").asText())) rollback = e;
            }
            assertThat(rollback).as(end.toString()).isNotNull();
            JsonNode d = rollback.path("data");
            assertThat(d.path("failedStage").asText()).as(end.path("reason").asText()).isEqualTo("PREFLIGHT");
            assertThat(d.path("neverServed").asBoolean()).isTrue();
            assertThat(d.path("probePath").asText()).isEqualTo("/wp-login.php");
            assertThat(d.path("probeStatus").asInt()).as("the rule forbids the login page").isEqualTo(403);
            assertThat(d.path("probeExpectedStatus").asInt()).isEqualTo(200);
            assertThat(end.path("reason").asText()).contains("/wp-login.php 403 (was 200)");
            assertThat(fleet.hostsThatApplied("production", v3)).as("hosts that served the rule").isEmpty();
            await().atMost(TestServer.PATIENCE).until(() -> fleet.requestsSent() > sentBefore + 2L * pages.size() * HOSTS);
            assertThat(fleet.requestsAnswered4xx() + fleet.requestsAnswered5xx() - brokenBefore).as("user requests answered 4xx or 5xx").isZero();
        }
    }
}
