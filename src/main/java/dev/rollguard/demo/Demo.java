package dev.rollguard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Rollguard;
import dev.rollguard.agent.Watchdog;
import dev.rollguard.client.ApiClient;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeWire;
import dev.rollguard.net.OutgoingPolicy;
import dev.rollguard.sim.WordPressLikeTree;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The seed's outage, replayed end to end and narrated: the typo is refused, production refuses what testing never
 * saw, a break-glass release fails at the canary and rolls back on its own, an incident pages and drafts its
 * postmortem, and the fix goes through every stage. Each step checks its outcome; the first one that does not
 * hold ends the story with a {@link Failure}.
 */
public final class Demo {
    public static final String SERVICE = "wordpress";

    /**
     * @param hosts             production hosts (one more runs in testing)
     * @param rps               requests per second per production host
     * @param automaticRollback off: what the product prevents: production takes each version in one wave, a failed analysis
     *                          only pauses, and the typo reaches every host until a person rolls back by hand
     * @param apache            use real Apache + mod_php (else simulated hosts)
     * @param dir               where the database, hosts and the postmortem go
     * @param wordpress         Debian's real WordPress on a private MariaDB (needs apache), else a generated WordPress-like tree
     * @param preflight         each agent probes a staged version on a shadow Apache before the switch (needs apache)
     * @param watchdog          each agent reverts on its own when most of its requests fail after a switch (needs apache)
     */
    public record Options(int hosts, double rps, boolean automaticRollback, boolean apache, Path dir, int promotionBakeSeconds,
                          boolean wordpress, boolean preflight, boolean watchdog) {
        public Options {
            if (!apache && (wordpress || preflight || watchdog)) throw new IllegalArgumentException("WordPress and the safeguards need Apache");
        }

        /** The generated tree, no host safeguards: the canary analysis alone. */
        public Options(int hosts, double rps, boolean automaticRollback, boolean apache, Path dir, int promotionBakeSeconds) {
            this(hosts, rps, automaticRollback, apache, dir, promotionBakeSeconds, false, false, false);
        }
    }

    /** The measured outcome, next to the seed's. */
    public record Result(String fleet, int badVersion, int fixedVersion, String canary, Set<String> hostsThatServedBad, long requestsSent,
                         long requestsFailed, double failedPercent, double peakPercent, int hostsAffected, int hostsTotal,
                         long timeToDetectMillis, long timeToMitigateMillis, long timeToRecoverMillis, int incidentId,
                         String severity, JsonNode pagerTrigger, Path postmortem, Duration wallTime, String dashboard, Caught caught,
                         long requestsAnswered5xx) {}

    /** An expectation of the story that did not hold. */
    public static final class Failure extends RuntimeException {
        public Failure(String message) {
            super(message);
        }
    }

    private final Options options;
    private final PrintWriter out;
    private final long started = System.nanoTime();
    private ApiClient api;
    /** The real site's tree (null: the generated WordPress-like tree). */
    private ConfigTree site;

    public Demo(Options options, PrintWriter out) {
        this.options = options;
        this.out = out;
    }

    /** Runs the story; {@code whileUp} runs at the end with everything still running (the CLI waits there with --stay). */
    public Result run(Consumer<String> whileUp) throws IOException, InterruptedException {
        Files.createDirectories(options.dir());
        Files.setPosixFilePermissions(options.dir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        try (PagerReceiver pager = new PagerReceiver();
             MariaDb db = options.wordpress() ? MariaDb.start(WordPressSite.DATABASE, WordPressSite.USER, WordPressSite.password(),
                     Duration.ofMinutes(2)) : null;
             Rollguard server = Rollguard.start(new Rollguard.Settings(options.dir().resolve("rollguard.db").toString(), "127.0.0.1", 0,
                     Limits.DEFAULT, 256L << 20, Duration.ofMillis(100), null).withOutgoing(OutgoingPolicy.parse("loopback")))) {
            api = new ApiClient(server.url(), "demo", server.bootstrapToken());
            say("Rollguard demo: the seed's outage (a '.phpp' typo in wp-settings.php), replayed");
            say("  server     %s (SQLite: %s)", server.url(), options.dir().resolve("rollguard.db"));
            say("  pager      PagerDuty Events v2 stand-in at %s", pager.url());
            if (db != null) {
                site = WordPressSite.tree(db.wordpressHost());
                say("  site       Debian's WordPress %s + its theme twentytwentythree (%d files); a private MariaDB on %s",
                        WordPressSite.version(site), site.size(), db.socket());
                WordPressSite.install(site, options.dir().resolve("setup"), Duration.ofMinutes(2));
                say("             installed through its own installer (wp-admin/install.php, step 2): \"%s\"", WordPressSite.TITLE);
            }
            api.put("/api/v1/services/" + SERVICE, spec(pager));
            // people: alice pushes and releases; the agents enrol with one token per environment
            api.post("/api/v1/users", Map.of("name", "alice"));
            api.put("/api/v1/users/alice/roles", Map.of("service", SERVICE, "role", "releaser"));
            String alice = api.post("/api/v1/tokens", Map.of("user", "alice", "name", "demo")).path("token").asText();
            Map<String, String> enrolments = new LinkedHashMap<>();
            for (String env : List.of("testing", "production")) {
                enrolments.put(env, api.post("/api/v1/services/" + SERVICE + "/environments/" + env + "/enrolments", Map.of("maxHosts", Math.max(10, options.hosts()))).path("token").asText());
            }
            api = new ApiClient(server.url(), null, alice);
            try (DemoFleet fleet = fleet(server.url(), enrolments)) {
                say("  fleet      %s, each with a Rollguard agent%s", fleet.describe(),
                        options.apache() ? " (hooks: apache2 -t before, apache2 -k graceful after; health from the access log)" : "");
                if (options.apache()) {
                    say("  safeguards preflight %s, local watchdog %s", options.preflight()
                                    ? "on (a shadow Apache on the staged tree, probed with the spec's pages before the switch)" : "off",
                            options.watchdog() ? "on (reverts a host whose requests fail after a switch)" : "off");
                }
                Result r = story(server, fleet, pager);
                whileUp.accept(server.url());
                return r;
            }
        }
    }

    private DemoFleet fleet(String server, Map<String, String> enrolments) throws IOException, InterruptedException {
        Path hosts = options.dir().resolve("hosts");
        Files.createDirectories(hosts);
        Files.setPosixFilePermissions(options.dir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(hosts, PosixFilePermissions.fromString("rwxr-xr-x"));
        return options.apache() ? new DemoFleet.Apache(server, SERVICE, options.hosts(), hosts, enrolments, options.preflight(),
                options.watchdog() ? Watchdog.Settings.DEFAULT : null)
                : new DemoFleet.Simulated(server, SERVICE, options.hosts(), hosts, enrolments);
    }

    private Map<String, Object> spec(PagerReceiver pager) {
        Map<String, Object> rollout = new LinkedHashMap<>();
        rollout.put("promotionBakeSeconds", options.promotionBakeSeconds());
        rollout.put("waves", options.automaticRollback()
                ? List.of(Map.of("hosts", 1, "bakeSeconds", 5), Map.of("percent", 50, "bakeSeconds", 3), Map.of("percent", 100, "bakeSeconds", 2))
                : List.of(Map.of("percent", 100, "bakeSeconds", 2)));
        rollout.put("onFailure", options.automaticRollback() ? "ROLLBACK" : "PAUSE");
        // a real WordPress page compiles its PHP again after a switch (a new release directory): slower, not broken
        if (site != null) rollout.put("analysis", Map.of("latencySlackMillis", 500));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("description", site != null ? "WordPress (Debian's package) on Apache + mod_php + MariaDB" : "WordPress-like PHP application");
        // the pages every host's preflight requests from a staged version: real ones, with the site's title in them
        if (site != null) spec.put("preflight", WordPressSite.probes());
        spec.put("environments", List.of("testing", "production"));
        spec.put("rollout", rollout);
        spec.put("incidents", Map.of("channels", List.of(Map.of("name", "pagerduty", "kind", "pagerduty", "url", pager.url(),
                "routingKey", "demo-integration-key", "secret", "demo-signing-secret"))));
        return spec;
    }

    private Result story(Rollguard server, DemoFleet fleet, PagerReceiver pager) throws InterruptedException, IOException {
        // ---------------------------------------------------------------- the healthy baseline
        ConfigTree good = site != null ? site : ConfigTree.of(WordPressLikeTree.generate(120, 42));
        int v1 = push(good, "initial WordPress config", null).path("version").path("number").asInt();
        say("");
        say("[setup] v%d: the healthy %s tree (%d files) → testing → production", v1, site != null ? "WordPress" : "WordPress-like", good.size());
        completeRollout(release("testing", v1, null), "testing");
        waitBake();
        completeRollout(release("production", v1, null), "production");
        expect(() -> fleet.onVersion("production", v1) == options.hosts(), Duration.ofSeconds(120), "every production host on v" + v1);
        if (site != null && fleet instanceof DemoFleet.Apache apache) {
            // users ask for many pages, not only the front page: what the hosts' preflight replays before a switch
            apache.startLoad(options.rps(), PreflightBenchmark.MIX);
            say("        %d production hosts serve v%d; load: %.0f req/s per host over %d pages (posts, feeds, REST API, login, assets)",
                    options.hosts(), v1, options.rps(), PreflightBenchmark.MIX.size());
        } else {
            fleet.startLoad(options.rps());
            say("        %d production hosts serve v%d; load: %.0f req/s per host", options.hosts(), v1, options.rps());
        }
        Thread.sleep(3000);

        // ---------------------------------------------------------------- a. the typo is refused
        ConfigTree typo = site != null ? WordPressSite.withTypo(site) : ConfigTree.of(WordPressLikeTree.withTypo(good.files()));
        say("");
        say("[a] 5:45 AM: someone edits wp-settings.php, '.php' becomes '.phpp', and pushes");
        try {
            push(typo, "speed up settings loading", null);
            throw new Failure("the typo was accepted by the validators");
        } catch (ApiClient.ApiException e) {
            if (!"validation_failed".equals(e.code())) throw new Failure("unexpected refusal: " + e.getMessage());
            say("    refused (%s): %s", e.code(), e.getMessage());
            JsonNode findings = e.error().path("report").path("findings");
            boolean didYouMean = false;
            for (JsonNode f : findings) {
                if (!"ERROR".equals(f.path("severity").asText())) continue;
                say("      %s:%d:%d %s [%s]%s", f.path("path").asText(), f.path("line").asInt(), f.path("column").asInt(),
                        f.path("message").asText(), f.path("rule").asText(),
                        f.path("suggestion").isMissingNode() ? "" : " — " + f.path("suggestion").asText());
                // the finding's fix says what it means; its suggestion is the same in words, for people
                didYouMean |= ".phpp".equals(f.path("fix").path("from").asText()) && ".php".equals(f.path("fix").path("to").asText());
            }
            if (!didYouMean) throw new Failure("no finding offers to fix '.phpp' into '.php'");
        }

        // ---------------------------------------------------------------- b. production refuses what testing never saw
        say("");
        say("[b] they insist: push with break-glass, straight to production");
        JsonNode forced = push(typo, "speed up settings loading", "hotfix, no time for testing");
        int bad = forced.path("version").path("number").asInt();
        say("    stored as v%d with its findings and the break-glass reason on record", bad);
        try {
            release("production", bad, null);
            throw new Failure("production accepted v" + bad + " without testing");
        } catch (ApiClient.ApiException e) {
            if (!"promotion_order".equals(e.code())) throw new Failure("unexpected refusal: " + e.getMessage());
            say("    release to production refused (%s): %s", e.code(), e.getMessage());
        }

        // ---------------------------------------------------------------- c. testing, then break-glass into production
        say("");
        long sentBefore = fleet.requestsSent();
        long failedBefore = fleet.requestsFailed();
        long errorsBefore = fleet.requestsAnswered5xx();
        Stopped stopped;
        if (options.preflight()) {
            say("[c] v%d goes to testing: no traffic there, as in the seed, but its host requests the site's pages from the staged", bad);
            say("    tree on a shadow Apache before the switch");
            stopped = preflightInTesting(fleet, bad);
        } else {
            say("[c] v%d goes to testing (no traffic there, as in the seed: nothing fails), then break-glass into production", bad);
            completeRollout(release("testing", bad, null), "testing");
            Instant releasedAt = Instant.now();
            JsonNode rollout = release("production", bad, "can't wait for the bake, customers are waiting");
            String canary = rollout.path("canaryHosts").path(0).asText();
            say("    %s  rollout started; wave 1 = canary %s", clock(releasedAt), canary);
            JsonNode end = awaitRollout(rollout.path("id").asText(), Duration.ofSeconds(180));
            if (!options.automaticRollback()) return damage(server, fleet, rollout, bad, v1, sentBefore, failedBefore, releasedAt);
            stopped = new Stopped(end, canary, releasedAt);
        }
        JsonNode end = stopped.rollout();
        if (!"ROLLED_BACK".equals(end.path("state").asText())) {
            throw new Failure("the bad version was not rolled back automatically: rollout is " + end.path("state").asText()
                    + (end.path("reason").isNull() ? "" : " (" + end.path("reason").asText() + ")"));
        }
        List<JsonNode> events = new ArrayList<>();
        end.path("events").forEach(events::add);
        events.sort(Comparator.comparing(e -> Instant.parse(e.path("at").asText())));
        for (JsonNode e : events) {
            if (List.of("wave_started", "analysis", "rollback_started").contains(e.path("type").asText())) {
                say("    %s  %s", clock(Instant.parse(e.path("at").asText())), e.path("message").asText());
            }
        }
        JsonNode rollbackEvent = rollbackEvent(events);
        if (rollbackEvent == null) throw new Failure("no rollback_started event in rollout " + end.path("id").asText());
        Caught caught = Caught.of(rollbackEvent, Duration.between(stopped.releasedAt(), Instant.parse(rollbackEvent.path("at").asText())).toMillis());
        if (options.preflight() && !caught.inPreflight()) throw new Failure("preflight is on but the typo was stopped by: " + caught.describe());
        String env = options.preflight() ? "testing" : "production";
        expect(() -> fleet.onVersion("production", v1) == options.hosts(), Duration.ofSeconds(120), "every production host back on v" + v1);
        Set<String> servedBad = fleet.hostsThatApplied(env, bad);
        Set<String> expected = options.preflight() ? Set.of() : Set.of(stopped.host());
        if (!servedBad.equals(expected)) throw new Failure("v" + bad + " was served in " + env + " by " + servedBad + ", expected " + expected);
        say("    hosts that ever served v%d in %s: %s", bad, env, servedBad.isEmpty() ? "none" : servedBad);
        if (options.preflight()) {
            try {
                release("production", bad, "can't wait for the bake, customers are waiting");
                throw new Failure("production accepted v" + bad + " after testing's preflight caught it");
            } catch (ApiClient.ApiException e) {
                if (!"version_bad".equals(e.code())) throw new Failure("unexpected refusal: " + e.getMessage());
                say("    break-glass into production refused (%s): %s", e.code(), e.getMessage());
            }
        }

        // ---------------------------------------------------------------- the incident
        JsonNode incident = awaitIncident(end.path("id").asText(), !options.preflight(), Duration.ofSeconds(120));
        int incidentId = incident.path("id").asInt();
        expect(() -> !pager.events().isEmpty(), Duration.ofSeconds(120), "a page delivered to the PagerDuty receiver");
        JsonNode trigger = pager.events().get(0).body();
        JsonNode impact = incident.path("impact");
        say("    incident #%d %s in %s: %s", incidentId, incident.path("severity").asText(), env, incident.path("title").asText());
        say("    paged: PagerDuty %s, severity %s, dedup_key %s", trigger.path("event_action").asText(),
                trigger.path("payload").path("severity").asText(), trigger.path("dedup_key").asText());
        Path postmortem = options.dir().resolve("postmortem-incident-" + incidentId + ".md");
        Files.writeString(postmortem, api.getText("/api/v1/incidents/" + incidentId + "/postmortem"));
        say("    postmortem draft: %s", postmortem);

        // ---------------------------------------------------------------- d. the fix, through every stage
        say("");
        say("[d] rollguard fix: the Puppet find-and-replace of 7:40 PM, as a reviewed new version");
        JsonNode fixed = api.post("/api/v1/services/" + SERVICE + "/versions/" + bad + "/fix", Map.of());
        int v3 = fixed.path("version").path("number").asInt();
        say("    v%d: %s", v3, fixed.path("version").path("message").asText().replace("\n", " "));
        completeRollout(release("testing", v3, null), "testing");
        waitBake();
        completeRollout(release("production", v3, null), "production");
        expect(() -> fleet.onVersion("production", v3) == options.hosts(), Duration.ofSeconds(120), "every production host on v" + v3);
        api.post("/api/v1/incidents/" + incidentId + "/resolve", Map.of("text", "v" + v3 + " fixed the typo everywhere and rolled out"));
        say("    all %d production hosts on v%d; incident #%d resolved (PagerDuty resolve sent)", options.hosts(), v3, incidentId);
        Thread.sleep(1000);
        if (site != null && options.preflight()) narrowerMistake(fleet, v3);

        long sent = fleet.requestsSent() - sentBefore;
        long failed = fleet.requestsFailed() - failedBefore;
        Result r = new Result(fleet.describe(), bad, v3, stopped.host(), servedBad, sent, failed, sent == 0 ? 0 : 100.0 * failed / sent,
                impact.path("peakPercent").asDouble(), impact.path("hostsAffected").asInt(), impact.path("hostsTotal").asInt(),
                impact.path("timeToDetectMillis").asLong(), impact.path("timeToMitigateMillis").asLong(),
                impact.path("timeToRecoverMillis").asLong(), incidentId, incident.path("severity").asText(), trigger, postmortem,
                Duration.ofNanos(System.nanoTime() - started), server.url() + "/", caught, fleet.requestsAnswered5xx() - errorsBefore);
        DemoTable.print(r, out);
        return r;
    }

    /**
     * A mistake {@code GET /} cannot see: a hardening rule meant for wp-includes' PHP files, written too wide, forbids its
     * CSS and JavaScript too. Every page still answers 200, so testing's probes pass (and testing has no traffic to
     * replay); in production the canary's preflight replays the host's own recent requests to the staged tree and to the
     * current one, and the assets answer 403 where they answered 200: stopped before the switch.
     */
    private void narrowerMistake(DemoFleet fleet, int current) throws InterruptedException {
        say("");
        say("[e] a narrower mistake: a hardening rule for wp-includes/*.php, written too wide, also forbids its CSS and JS");
        String htaccess = site.content(".htaccess");
        String rule = "# no direct access to wp-includes\nRewriteEngine On\nRewriteRule ^wp-includes/ - [F]\n";
        ConfigTree hardened = site.with(Map.of(".htaccess", (htaccess == null ? "" : htaccess + "\n") + rule));
        int v = push(hardened, "harden: no direct access to wp-includes", null).path("version").path("number").asInt();
        say("    v%d: .htaccess gains 'RewriteRule ^wp-includes/ - [F]'; GET / and /wp-login.php still answer 200", v);
        completeRollout(release("testing", v, null), "testing");
        waitBake();
        long failedBefore = fleet.requestsFailed();
        Instant releasedAt = Instant.now();
        JsonNode rollout = release("production", v, null);
        say("    %s  rollout to production started; wave 1 = canary %s", clock(releasedAt), rollout.path("canaryHosts").path(0).asText());
        JsonNode end = awaitRollout(rollout.path("id").asText(), Duration.ofSeconds(180));
        JsonNode rollback = rollbackEvent(end.path("events"));
        if (!"ROLLED_BACK".equals(end.path("state").asText()) || rollback == null
                || !"PREFLIGHT".equals(rollback.path("data").path("failedStage").asText())) {
            throw new Failure("v" + v + " was not stopped by the canary's preflight: " + end.path("state").asText() + " "
                    + end.path("reason").asText(""));
        }
        List<String> paths = new ArrayList<>();
        for (JsonNode r : rollback.path("data").path("replayed")) {
            paths.add(r.path("path").asText() + " " + r.path("status").asInt() + " (was " + r.path("currentStatus").asInt() + ")");
        }
        say("    %s  preflight on %s replayed its recent requests: %s", clock(Instant.parse(rollback.path("at").asText())),
                rollback.path("data").path("failedHost").asText(), String.join(", ", paths));
        expect(() -> fleet.onVersion("production", current) == options.hosts(), Duration.ofSeconds(120),
                "every production host still on v" + current);
        Set<String> served = fleet.hostsThatApplied("production", v);
        say("    hosts that ever served v%d: %s; requests failed since its release: %d", v, served.isEmpty() ? "none" : served,
                fleet.requestsFailed() - failedBefore);
    }

    /** The rollback_started event among a rollout's events (the last in their order), or null when there is none. */
    private static JsonNode rollbackEvent(Iterable<JsonNode> events) {
        JsonNode found = null;
        for (JsonNode e : events) {
            if ("rollback_started".equals(e.path("type").asText())) found = e;
        }
        return found;
    }

    /** Where the bad version's rollout ended, on which host it was stopped, and when it was released. */
    private record Stopped(JsonNode rollout, String host, Instant releasedAt) {}

    /** With preflight on: the testing host probes the staged typo on a shadow instance, and the version fails there. */
    private Stopped preflightInTesting(DemoFleet fleet, int bad) throws InterruptedException {
        Instant releasedAt = Instant.now();
        JsonNode rollout = release("testing", bad, null);
        String host = rollout.path("canaryHosts").path(0).asText();
        say("    %s  rollout to testing started; wave 1 = %s", clock(releasedAt), host);
        return new Stopped(awaitRollout(rollout.path("id").asText(), Duration.ofSeconds(180)), host, releasedAt);
    }

    /**
     * Without automatic rollback (--no-rollback), the damage it prevents: the typo on every production host, the requests
     * that fail while it stays there (ten seconds here; fourteen hours in the seed), until a person rolls back by hand.
     */
    private Result damage(Rollguard server, DemoFleet fleet, JsonNode rollout, int bad, int v1, long sentBefore, long failedBefore,
                          Instant releasedAt) throws InterruptedException {
        expect(() -> fleet.onVersion("production", bad) == options.hosts(), Duration.ofSeconds(180), "every production host on v" + bad);
        Set<String> servedBad = fleet.hostsThatApplied("production", bad);
        say("    %s  v%d runs on every production host (%d of %d): no canary, no automatic rollback", clock(Instant.now()), bad,
                servedBad.size(), options.hosts());
        Thread.sleep(10_000);
        long sent = fleet.requestsSent() - sentBefore;
        long failed = fleet.requestsFailed() - failedBefore;
        say("    %s  nobody rolled back yet: %d of %d requests failed since the release (%.1f%%)", clock(Instant.now()), failed, sent,
                sent == 0 ? 0 : 100.0 * failed / sent);
        api.post("/api/v1/rollouts/" + rollout.path("id").asText() + "/rollback", Map.of("reason", "rolled back by hand after the damage"));
        expect(() -> fleet.onVersion("production", v1) == options.hosts(), Duration.ofSeconds(180), "every production host back on v" + v1);
        long seconds = Duration.between(releasedAt, Instant.now()).toSeconds();
        say("    %s  rolled back by hand (rollguard rollback): every host on v%d again", clock(Instant.now()), v1);
        say("");
        say("without automatic rollback: v%d reached %d of %d hosts and %d of %d requests (%.1f%%) failed in the %d s from release to",
                bad, servedBad.size(), options.hosts(), failed, sent, sent == 0 ? 0 : 100.0 * failed / sent, seconds);
        say("the rollback by hand; in the seed nobody rolled back for 14 h. With it (rollguard demo): the canary host alone,");
        say("rolled back by the analysis. done in %.0f s.", (System.nanoTime() - started) / 1e9);
        return new Result(fleet.describe(), bad, 0, null, servedBad, sent, failed, sent == 0 ? 0 : 100.0 * failed / sent, 0,
                servedBad.size(), options.hosts(), 0, 0, 0, 0, null, null, null, Duration.ofNanos(System.nanoTime() - started),
                server.url() + "/", null, 0);
    }

    // ------------------------------------------------------------------ steps

    private JsonNode push(ConfigTree tree, String message, String breakGlass) {
        Map<String, Object> body = new LinkedHashMap<>();
        // entries, not text files: a real tree has binary files and links, and the bundle must be what the tree is
        body.put("entries", TreeWire.encode(tree));
        body.put("message", message);
        if (breakGlass != null) body.put("breakGlass", breakGlass);
        return api.post("/api/v1/services/" + SERVICE + "/versions", body);
    }

    private JsonNode release(String env, int version, String breakGlass) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", version);
        if (breakGlass != null) body.put("breakGlass", breakGlass);
        return api.post("/api/v1/services/" + SERVICE + "/environments/" + env + "/release", body);
    }

    private void completeRollout(JsonNode rollout, String env) throws InterruptedException {
        JsonNode end = awaitRollout(rollout.path("id").asText(), Duration.ofSeconds(180));
        if (!"COMPLETE".equals(end.path("state").asText())) {
            throw new Failure("v" + rollout.path("toVersion").asInt() + " did not complete in " + env + ": " + end.path("state").asText()
                    + " " + end.path("reason").asText(""));
        }
        say("    %s  v%d complete in %s (%d wave(s))", clock(Instant.now()), end.path("toVersion").asInt(), env, end.path("waves").asInt());
    }

    private JsonNode awaitRollout(String id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode r;
        do {
            r = api.get("/api/v1/rollouts/" + id);
            // paused counts as an end here: the story never pauses, so a pause is the analysis asking for a person
            if (!r.path("state").asText().equals("RUNNING")) return r;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new Failure("rollout " + id + " still running after " + timeout.toSeconds() + " s");
    }

    /** The incident the rollback of {@code rolloutId} opened; when users were hit, once its hosts recovered. */
    private JsonNode awaitIncident(String rolloutId, boolean recovered, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode list = api.get("/api/v1/incidents?service=" + SERVICE);
            for (JsonNode i : list) {
                if ("ROLLBACK".equals(i.path("source").asText()) && rolloutId.equals(i.path("rolloutId").asText())
                        && (!recovered || !i.path("recoveredAt").isNull())) {
                    Thread.sleep(1500); // the last health reports of the rollback
                    return api.get("/api/v1/incidents/" + i.path("id").asInt()).path("incident");
                }
            }
            Thread.sleep(200);
        }
        throw new Failure("no " + (recovered ? "recovered " : "") + "incident for the automatic rollback within " + timeout.toSeconds() + " s");
    }

    private void waitBake() throws InterruptedException {
        say("    waiting out the %d s promotion bake in testing (production refuses the version before that)", options.promotionBakeSeconds());
        Thread.sleep(options.promotionBakeSeconds() * 1000L + 300);
    }

    private static void expect(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new Failure("expected " + what + " within " + timeout.toSeconds() + " s");
            Thread.sleep(100);
        }
    }

    // ------------------------------------------------------------------ output

    private String clock(Instant at) {
        return String.format(Locale.ROOT, "[%6.1f s]", (at.toEpochMilli() - (System.currentTimeMillis() - (System.nanoTime() - started) / 1_000_000)) / 1000.0);
    }

    private void say(String format, Object... args) {
        out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
        out.flush();
    }
}
