package dev.rollguard.web;

import dev.rollguard.auth.Permission;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.Problem;
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

        server.post("/api/v1/agents/register", Permission.AUTHENTICATED, ctx -> {
            RegisterBody b = server.body(ctx, RegisterBody.class);
            if (b.service() == null || b.env() == null || b.host() == null) {
                throw Problem.badRequest("invalid_request", "register needs 'service', 'env' and 'host'");
            }
            var who = Access.principal(ctx);
            if (!who.isAgentFor(b.service(), b.env(), b.host())) {
                throw new Problem(403, "forbidden", who.name() + " is not enrolled for " + b.service() + "/" + b.env() + "/" + b.host());
            }
            HostInfo h = rollouts.register(b.service(), b.env(), b.host(), b.labels());
            json(ctx, Map.of("host", h.host(), "desiredVersion", h.desiredVersion() == null ? "none" : h.desiredVersion(),
                    "reportIntervalMillis", REPORT_INTERVAL_MILLIS));
        });
        server.get("/api/v1/agents/{service}/{env}/{host}/desired", Permission.AGENT, ctx -> desired(ctx, rollouts));
        server.post("/api/v1/agents/{service}/{env}/{host}/report", Permission.AGENT, ctx -> {
            ReportBody b = server.body(ctx, ReportBody.class);
            HostInfo h = rollouts.report(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"), b.appliedVersion(),
                    b.failedVersion(), b.applyError(), b.samples());
            json(ctx, desiredView(h));
        });
    }

    private static ActionBody optionalBody(ApiServer server, Context ctx) {
        String text = server.bodyText(ctx);
        return text.isBlank() ? new ActionBody(null, null) : ApiServer.parse(text, ActionBody.class);
    }

    /** Long-poll: answers at once when the desired version differs from {@code known}, else when it changes or on timeout. */
    private static void desired(Context ctx, RolloutService rollouts) {
        String service = ctx.pathParam("service");
        String env = ctx.pathParam("env");
        String host = ctx.pathParam("host");
        String known = ctx.queryParam("known");
        int wait = ctx.queryParam("waitSeconds") == null ? 30 : Math.max(0, Math.min(MAX_WAIT_SECONDS,
                ApiServer.intParam(ctx, "waitSeconds")));
        HostInfo now = rollouts.host(service, env, host);
        if (wait == 0 || !same(now.desiredVersion(), known)) {
            json(ctx, desiredView(now));
            return;
        }
        CompletableFuture<HostSignals.Desired> signal = rollouts.signals().await(service, env, host);
        // re-check after subscribing: a change between the first read and the subscription must not be missed
        HostInfo again = rollouts.host(service, env, host);
        if (!same(again.desiredVersion(), known)) {
            signal.complete(null);
            json(ctx, desiredView(again));
            return;
        }
        ctx.future(() -> signal.completeOnTimeout(null, wait, TimeUnit.SECONDS).thenAccept(d -> {
            Map<String, Object> m = new HashMap<>();
            try {
                // a timeout (null) re-reads; a wake-up carries the new version
                m.put("desiredVersion", d == null ? rollouts.host(service, env, host).desiredVersion() : d.version());
            } catch (RuntimeException e) {
                // the server is shutting down (storage closed) while this poll waited: the agent retries elsewhere
                ctx.status(503);
                json(ctx, Map.of("error", Map.of("code", "unavailable", "message", "server is shutting down; retry")));
                return;
            }
            json(ctx, m);
        }));
    }

    private static boolean same(Integer desired, String known) {
        String d = desired == null ? "none" : desired.toString();
        return d.equals(known == null ? "" : known);
    }

    private static Map<String, Object> desiredView(HostInfo h) {
        Map<String, Object> m = new HashMap<>();
        m.put("desiredVersion", h.desiredVersion());
        return m;
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
