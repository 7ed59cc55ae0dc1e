package dev.rollguard.web;

import dev.rollguard.auth.Permission;
import dev.rollguard.auth.Principal;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.Problem;
import dev.rollguard.config.Bundles;
import dev.rollguard.health.HealthStore;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.HostSignals;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutService;
import io.javalin.Javalin;
import io.javalin.http.Context;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.rollguard.web.ApiServer.json;

/** Rollouts (release, pause, resume, abort, rollback) and the agent protocol (register, long-poll, report). */
public final class RolloutRoutes {
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ReleaseBody(Integer version, String actor, String breakGlass) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ActionBody(String actor, String reason) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RegisterBody(String service, String env, String host, String labels) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ReportBody(Integer appliedVersion, Integer failedVersion, String applyError, List<HealthStore.Sample> samples) {}

    public static final long REPORT_INTERVAL_MILLIS = 500;
    private static final int MAX_WAIT_SECONDS = 60;

    private RolloutRoutes() {}

    public static void register(ApiServer server, RolloutService rollouts) {
        server.post("/api/v1/services/{service}/environments/{env}/release", Permission.RELEASE, ctx -> {
            ReleaseBody body = server.body(ctx, ReleaseBody.class);
            if (body.version() == null) throw Problem.badRequest("missing_version", "release needs a 'version'");
            Rollout r = rollouts.start(ctx.pathParam("service"), ctx.pathParam("env"), body.version(),
                    ConfigRoutes.actor(ctx, body.actor()), body.breakGlass());
            json(ctx.status(201), view(rollouts, r, false));
        });
        server.post("/api/v1/services/{service}/environments/{env}/rollback", Permission.RELEASE, ctx -> {
            ActionBody body = optionalBody(server, ctx);
            json(ctx, view(rollouts, rollouts.rollbackEnvironment(ctx.pathParam("service"), ctx.pathParam("env"),
                    ConfigRoutes.actor(ctx, body.actor()), body.reason()), false));
        });
        server.get("/api/v1/services/{service}/environments/{env}/hosts", Permission.READ, ctx ->
                json(ctx, rollouts.store().hosts(ctx.pathParam("service"), ctx.pathParam("env"))));
        server.get("/api/v1/services/{service}/rollouts", Permission.READ, ctx -> json(ctx, rollouts.store()
                .rollouts(ctx.pathParam("service"), ctx.queryParam("env"), 50).stream().map(r -> view(rollouts, r, false)).toList()));
        server.get("/api/v1/services/{service}/events", Permission.READ, ctx -> json(ctx, rollouts.store().events(ctx.pathParam("service"), null, 200)));
        server.get("/api/v1/rollouts/{id}", Permission.READ, ctx -> json(ctx, view(rollouts, rollouts.rollout(ctx.pathParam("id")), true)));
        server.get("/api/v1/rollouts/{id}/series", Permission.READ, ctx -> json(ctx, rollouts.series(rollouts.rollout(ctx.pathParam("id")))));
        server.post("/api/v1/rollouts/{id}/{action}", Permission.RELEASE, ctx -> {
            ActionBody body = optionalBody(server, ctx);
            String id = ctx.pathParam("id");
            String actor = ConfigRoutes.actor(ctx, body.actor());
            Rollout r = switch (ctx.pathParam("action")) {
                case "pause" -> rollouts.pause(id, actor);
                case "resume" -> rollouts.resume(id, actor);
                case "abort" -> rollouts.abort(id, actor);
                case "rollback" -> rollouts.rollback(id, actor, body.reason());
                default -> throw Problem.notFound("not_found", "unknown rollout action '" + ctx.pathParam("action")
                        + "' (pause, resume, abort, rollback)");
            };
            json(ctx, view(rollouts, r, true));
        });
    }

    /**
     * The agent protocol (register, long-poll, report). Registered before every other route: the router tries routes
     * in registration order, and a fleet's requests are most of what a server answers.
     */
    public static void registerAgentProtocol(ApiServer server, RolloutService rollouts, Bundles bundles) {
        server.post("/api/v1/agents/register", Permission.AUTHENTICATED, ctx -> {
            RegisterBody b = server.body(ctx, RegisterBody.class);
            if (b.service() == null || b.env() == null || b.host() == null) {
                throw Problem.badRequest("invalid_request", "register needs 'service', 'env' and 'host'");
            }
            var who = Access.principal(ctx);
            if (!who.isAgentFor(b.service(), b.env(), b.host())) {
                throw new Problem(403, "forbidden", who.name() + " is not enrolled for " + b.service() + "/" + b.env() + "/" + b.host());
            }
            HostInfo h = rollouts.register(b.service(), b.env(), b.host(), b.labels(), who.kind() == Principal.Kind.AGENT
                    ? new RolloutService.Enrolment(who.tokenId(), who.hostLimit()) : null);
            json(ctx, Map.of("host", h.host(), "desiredVersion", h.desiredVersion() == null ? "none" : h.desiredVersion(),
                    "reportIntervalMillis", REPORT_INTERVAL_MILLIS));
        });
        server.get("/api/v1/agents/{service}/{env}/{host}/desired", Permission.AGENT, ctx -> desired(ctx, rollouts, bundles));
        server.post("/api/v1/agents/{service}/{env}/{host}/report", Permission.AGENT, ctx -> {
            ReportBody b = server.body(ctx, ReportBody.class);
            var desired = rollouts.report(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"), b.appliedVersion(),
                    b.failedVersion(), b.applyError(), b.samples());
            ctx.future(() -> desired.thenAccept(v -> ctx.contentType("application/json").result(desiredJson(v, null))));
        });
    }

    private static ActionBody optionalBody(ApiServer server, Context ctx) {
        String text = server.bodyText(ctx);
        return text.isBlank() ? new ActionBody(null, null) : ApiServer.parse(text, ActionBody.class);
    }

    /**
     * Long-poll: answers at once when the desired version differs from {@code known}, else when it changes or on
     * timeout. With {@code bundle=inline} the answer carries the new version's bundle (up to {@link #INLINE_BUNDLE_CHARS}),
     * so a fleet takes a release in one exchange per host instead of two.
     */
    private static void desired(Context ctx, RolloutService rollouts, Bundles bundles) {
        String service = ctx.pathParam("service");
        String env = ctx.pathParam("env");
        String host = ctx.pathParam("host");
        String known = ctx.queryParam("known") == null ? "" : ctx.queryParam("known");
        boolean inline = "inline".equals(Params.oneOf(ctx, "bundle", "none", "inline", "none"));
        int wait = Params.integer(ctx, "waitSeconds", 30, 0, MAX_WAIT_SECONDS);
        CompletableFuture<Integer> change = awaitChange(rollouts, service, env, host, known, System.nanoTime() + TimeUnit.SECONDS.toNanos(wait));
        java.util.function.Consumer<Integer> answer = version -> ctx.contentType("application/json")
                .result(desiredJson(version, inline ? inlineBundle(bundles, service, version, known) : null));
        if (change.isDone()) {
            answer.accept(change.join());
            return;
        }
        ctx.future(() -> change.handle((version, e) -> {
            if (e != null) {
                // the server is shutting down (storage closed) while this poll waited: the agent retries elsewhere
                ctx.status(503);
                json(ctx, Map.of("error", Map.of("code", "unavailable", "message", "server is shutting down; retry")));
                return null;
            }
            answer.accept(version);
            return null;
        }));
    }

    /**
     * The host's desired version once it differs from {@code known}, or at the deadline whatever it is. Subscribes
     * before reading, so a change between the two is never missed; a wake-up that brings the version the host already
     * knows (a release re-confirming what it runs) keeps the poll waiting instead of costing the host a round trip.
     */
    private static CompletableFuture<Integer> awaitChange(RolloutService rollouts, String service, String env, String host,
                                                          String known, long deadlineNanos) {
        CompletableFuture<HostSignals.Desired> signal = rollouts.signals().await(service, env, host);
        Integer now;
        try {
            now = rollouts.desiredVersion(service, env, host);
        } catch (RuntimeException e) {
            signal.cancel(false);
            throw e;
        }
        long left = deadlineNanos - System.nanoTime();
        if (!same(now, known) || left <= 0) {
            signal.cancel(false);
            return CompletableFuture.completedFuture(now);
        }
        return signal.completeOnTimeout(TIMED_OUT, left, TimeUnit.NANOSECONDS).thenCompose(d -> {
            if (d == TIMED_OUT) return CompletableFuture.completedFuture(rollouts.desiredVersion(service, env, host));
            // a wake-up without the version (hosts woken with different ones) re-reads it
            Integer version = d == null ? rollouts.desiredVersion(service, env, host) : d.version();
            if (!same(version, known)) return CompletableFuture.completedFuture(version);
            return awaitChange(rollouts, service, env, host, known, deadlineNanos);
        });
    }

    private static final HostSignals.Desired TIMED_OUT = new HostSignals.Desired(null);

    /** Bundles above this size are fetched on their own: a long-poll answer should stay small enough to retry cheaply. */
    static final int INLINE_BUNDLE_CHARS = 1 << 20;

    private static String inlineBundle(Bundles bundles, String service, Integer version, String known) {
        if (version == null || same(version, known)) return null;
        String json = bundles.json(service, version);
        return json.length() <= INLINE_BUNDLE_CHARS ? json : null;
    }

    private static String desiredJson(Integer version, String bundleJson) {
        return "{\"desiredVersion\":" + (version == null ? "null" : version.toString())
                + (bundleJson == null ? "" : ",\"bundle\":" + bundleJson) + "}";
    }

    private static boolean same(Integer desired, String known) {
        String d = desired == null ? "none" : desired.toString();
        return d.equals(known);
    }

    static Map<String, Object> view(RolloutService rollouts, Rollout r, boolean details) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("service", r.service());
        m.put("env", r.env());
        m.put("fromVersion", r.fromVersion());
        m.put("toVersion", r.toVersion());
        m.put("state", r.state());
        m.put("wave", r.wave() + 1);
        m.put("waves", r.targets().length);
        m.put("targets", r.targets());
        m.put("hosts", r.hosts().size());
        m.put("canaryHosts", r.canaryHosts());
        m.put("createdAt", r.createdAt());
        m.put("updatedAt", r.updatedAt());
        m.put("actor", r.actor());
        m.put("breakGlass", r.breakGlass());
        m.put("reason", r.reason());
        if (details) {
            m.put("observations", rollouts.observe(r));
            m.put("events", rollouts.store().events(r.service(), r.id(), 500));
        }
        return m;
    }
}
