package dev.rollguard.web;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.Problem;
import dev.rollguard.auth.Permission;
import dev.rollguard.auth.Principal;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.rollout.AgentService;
import dev.rollguard.rollout.HostRegistry;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.web.ApiServer.IdOf;
import io.javalin.http.Context;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static dev.rollguard.web.ApiServer.json;

/** Rollouts (release, pause, resume, abort, rollback) and the agent protocol (register, long-poll, report). */
public final class RolloutRoutes {
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ReleaseBody(Integer version, String actor, String breakGlass) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ActionBody(String actor, String reason) {}

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
            json(ctx, view(rollouts, rollouts.rollbackEnv(ctx.pathParam("service"), ctx.pathParam("env"),
                    ConfigRoutes.actor(ctx, body.actor()), body.reason()), false));
        });
        server.get("/api/v1/services/{service}/environments/{env}/hosts", Permission.READ, ctx ->
                json(ctx, rollouts.hosts(ctx.pathParam("service"), ctx.pathParam("env"))));
        server.get("/api/v1/services/{service}/rollouts", Permission.READ, ctx -> json(ctx, rollouts
                .rollouts(ctx.pathParam("service"), ctx.queryParam("env"), 50).stream().map(r -> view(rollouts, r, false)).toList()));
        server.get("/api/v1/services/{service}/events", Permission.READ, ctx -> json(ctx, rollouts.events(ctx.pathParam("service"), null, 200)));
        server.get("/api/v1/rollouts/{id}", Permission.READ, IdOf.ROLLOUT, ctx -> json(ctx, view(rollouts, rollouts.rollout(ctx.pathParam("id")), true)));
        server.get("/api/v1/rollouts/{id}/series", Permission.READ, IdOf.ROLLOUT, ctx -> json(ctx, rollouts.series(rollouts.rollout(ctx.pathParam("id")))));
        server.post("/api/v1/rollouts/{id}/{action}", Permission.RELEASE, IdOf.ROLLOUT, ctx -> {
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
     * The agent protocol (register, long-poll or stream, report). Registered before every other route: the router tries routes
     * in registration order, and a fleet's requests are most of what a server answers. Registering agents are told where
     * the channel has a port of its own ({@code channel}); answers the channel's logic, for that port's server
     * ({@link NettyChannel}).
     */
    public static AgentChannel registerAgentProtocol(ApiServer server, AgentService agents, ChannelAddress channel) {
        DesiredAnswers answers = new DesiredAnswers();
        AgentChannel logic = new AgentChannel(agents, answers);
        server.post(AgentProtocol.REGISTER_PATH, Permission.AUTHENTICATED, ctx -> {
            AgentProtocol.Register b = server.body(ctx, AgentProtocol.Register.class);
            var who = Access.principal(ctx);
            if (b.service() != null && b.env() != null && b.host() != null) Access.requireEnrolled(who, b.service(), b.env(), b.host());
            json(ctx, agents.register(b, enrolment(who)).withChannel(channel.forAgent(ctx.header("Host"))));
        });
        server.get("/api/v1/agents/{service}/{env}/{host}/desired", Permission.AGENT, ctx -> {
            agents.requireCredential(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"), enrolment(Access.principal(ctx)));
            // an agent that moved here from another server (one it registered at) learns where this one's channel port is
            String own = channel.forAgent(ctx.header("Host"));
            if (own != null) ctx.header(AgentProtocol.CHANNEL_HEADER, own);
            Integer wait = ctx.queryParam("waitSeconds") == null ? null : ApiServer.intParam(ctx, "waitSeconds");
            CompletableFuture<AgentProtocol.Desired> answer = agents.poll(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"),
                    ctx.queryParam("known"), ctx.queryParam("bundle"), wait, Access.isAgent(ctx));
            if (answer.isDone()) {
                ctx.contentType("application/json").result(answers.bytes(join(answer)));
                return;
            }
            ctx.future(() -> answer.handle((desired, e) -> {
                if (e != null) {
                    // the server is shutting down (storage closed) while this poll waited: the agent retries elsewhere
                    ctx.status(503);
                    json(ctx, Map.of("error", Map.of("code", "unavailable", "message", "server is shutting down; retry")));
                    return null;
                }
                ctx.contentType("application/json").result(answers.bytes(desired));
                return null;
            }));
        });
        server.get("/api/v1/agents/{service}/{env}/{host}/stream", Permission.AGENT, ctx -> {
            agents.requireCredential(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"), enrolment(Access.principal(ctx)));
            AgentStream.open(ctx, agents, answers);
        });
        JettyChannel.install(server, logic);
        server.post("/api/v1/agents/{service}/{env}/{host}/report", Permission.AGENT, ctx -> {
            agents.requireCredential(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"), enrolment(Access.principal(ctx)));
            AgentProtocol.Report b = server.body(ctx, AgentProtocol.Report.class);
            var desired = agents.report(ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"), b);
            ctx.future(() -> desired.thenAccept(d -> json(ctx, d)));
        });
        return logic;
    }

    /** An agent's token as the registry knows it; null for a person. */
    static HostRegistry.Enrolment enrolment(Principal who) {
        return who.kind() == Principal.Kind.AGENT ? new HostRegistry.Enrolment(who.tokenId(), who.hostLimit(), who.agentHost()) : null;
    }

    private static <T> T join(CompletableFuture<T> done) {
        try {
            return done.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) throw cause;
            throw e;
        }
    }

    private static ActionBody optionalBody(ApiServer server, Context ctx) {
        String text = server.bodyText(ctx);
        return text.isBlank() ? new ActionBody(null, null) : ApiServer.parse(text, ActionBody.class);
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
            m.put("events", rollouts.events(r.service(), r.id(), 500));
        }
        return m;
    }
}
