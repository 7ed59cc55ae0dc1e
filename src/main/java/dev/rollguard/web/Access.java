package dev.rollguard.web;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.audit.AuditLog;
import dev.rollguard.auth.AuthService;
import dev.rollguard.auth.Permission;
import dev.rollguard.auth.Principal;
import dev.rollguard.auth.RateLimiter;
import dev.rollguard.config.Secrets;
import dev.rollguard.incident.Incident;
import dev.rollguard.incident.IncidentService;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutService;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.websocket.WsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The gate in front of every route: who is calling (bearer token, or the dashboard's session cookie with a CSRF
 * token on writes), whether the route's permission is theirs on the service it touches, per-caller write rate
 * limits, and the audit record of every state-changing request.
 */
public final class Access {
    public static final String SESSION_COOKIE = "rg_session";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final String PRINCIPAL = "rollguard.principal";
    private static final String CSRF = "rollguard.csrf";
    private static final String BEFORE = "rollguard.audit.before";
    private static final String AFTER = "rollguard.audit.after";
    private static final String RECORDED = "rollguard.audit.recorded";
    private static final Pattern TOKENS = Pattern.compile("rg_[A-Za-z0-9_-]{16,}");
    private static final Logger log = LoggerFactory.getLogger(Access.class);

    private final ApiServer server;
    private final AuthService auth;
    private final AuditLog audit;
    private final RolloutService rollouts;
    private final IncidentService incidents;
    private final RateLimiter writes;
    /**
     * Requests that fail to authenticate, per client address. Checked before authenticating: an address that spent its
     * budget on unknown tokens and failed sign-ins is refused at once (429) until it refills, except for tokens this
     * server authenticated a moment ago. Bursts of 200 (a tool misconfigured for a while), 20 a second after that.
     */
    /**
     * Failed sign-ins, by address and credential: a proxy's one address carries many people, and one of them guessing
     * (or a stale token retried) must not lock the others out. A credential is a token's hash or a sign-in's user name.
     */
    private final RateLimiter guesses = new RateLimiter(20, 200);
    /** And by address alone, ten times looser: guessing many credentials from one address is still bounded. */
    private final RateLimiter strangers = new RateLimiter(200, 2000);

    private Access(ApiServer server, AuthService auth, AuditLog audit, RolloutService rollouts, IncidentService incidents, RateLimiter writes) {
        this.server = server;
        this.auth = auth;
        this.audit = audit;
        this.rollouts = rollouts;
        this.incidents = incidents;
        this.writes = writes;
    }

    /** Installs the gate on {@code server}'s routes; answers it for the channel's own port ({@link #admitAgent}). */
    public static Access install(ApiServer server, AuthService auth, AuditLog audit, RolloutService rollouts, IncidentService incidents,
                                 RateLimiter writes) {
        Access a = new Access(server, auth, audit, rollouts, incidents, writes);
        server.app().beforeMatched(a::check);
        // a WebSocket's upgrade passes the same gate as the GET it starts as (ApiServer.ws registers that GET)
        server.gateUpgrades(a::checkUpgrade);
        server.app().after(a::record);
        return a;
    }

    // ------------------------------------------------------------------ for handlers

    /** The authenticated caller, or null on public routes. */
    public static Principal principal(Context ctx) {
        return ctx.attribute(PRINCIPAL);
    }

    public static String csrf(Context ctx) {
        return ctx.attribute(CSRF);
    }

    /** A check a handler makes itself, when the service is in the body rather than the path. */
    public static void require(Context ctx, Permission p, String service) {
        Principal who = principal(ctx);
        if (who == null || !who.can(p, service)) {
            throw new Problem(403, "forbidden", (who == null ? "anonymous" : who.name()) + " may not " + p.name().toLowerCase()
                    + (service == null ? "" : " on service '" + service + "'"));
        }
    }

    /** Whether a WebSocket's caller is an agent (as {@link #isAgent(Context)}, for the principal its upgrade was let in as). */
    public static boolean isAgent(WsContext ctx) {
        Principal who = ctx.attribute(PRINCIPAL);
        return who != null && who.kind() == Principal.Kind.AGENT;
    }

    /** The principal a WebSocket's upgrade was let in as. */
    public static Principal principal(WsContext ctx) {
        return ctx.attribute(PRINCIPAL);
    }

    /** Whether the caller is an agent (whose enrolment already limits it to its service). */
    public static boolean isAgent(Context ctx) {
        Principal who = principal(ctx);
        return who != null && who.kind() == Principal.Kind.AGENT;
    }

    public static boolean can(Context ctx, Permission p, String service) {
        Principal who = principal(ctx);
        return who != null && who.can(p, service);
    }

    /** State before the change, for the audit record (handlers that know it set it). */
    public static void before(Context ctx, Object state) {
        ctx.attribute(BEFORE, state instanceof String s ? s : Json.write(state));
    }

    /** The service wrote this request's audit record itself, in the transaction of the change: no second record. */
    public static void recorded(Context ctx) {
        ctx.attribute(RECORDED, Boolean.TRUE);
    }

    public static void after(Context ctx, Object state) {
        ctx.attribute(AFTER, state instanceof String s ? s : Json.write(state));
    }

    // ------------------------------------------------------------------ the gate

    private void check(Context ctx) {
        if (ctx.method() == HandlerType.OPTIONS) return;
        Permission needed = server.permission(ctx);
        if (needed == null) throw new Problem(403, "forbidden", "this route declares no permission and is refused");
        boolean signIn = ctx.method() == HandlerType.POST && "/login".equals(ctx.endpointHandlerPath());
        if (needed == Permission.PUBLIC && !signIn) return;
        refuseSpentAddress(ctx);
        if (needed == Permission.PUBLIC) return;
        Principal who = authenticate(ctx);
        if (who == null) {
            if (isPage(ctx)) {
                ctx.redirect("/login?next=" + URLEncoder.encode(ctx.path(), StandardCharsets.UTF_8));
                ctx.skipRemainingHandlers();
                return;
            }
            if (server.surface(ctx) == ApiServer.Surface.FRAGMENT) ctx.header("HX-Redirect", "/login");
            throw new Problem(401, "unauthenticated", "sign in: send 'Authorization: Bearer <token>' (CLI: export ROLLGUARD_TOKEN=<token>, or put --token <token> after the command, e.g. 'rollguard services --token <token>')");
        }
        ctx.attribute(PRINCIPAL, who);
        // before the permission check: refused writes count too, so no principal floods the log with refusals
        if (isWrite(ctx) && needed != Permission.AGENT && !ctx.endpointHandlerPath().equals(AgentProtocol.REGISTER_PATH)) {
            long wait = writes.acquire(who.kind() == Principal.Kind.AGENT ? who.tokenId() : "user:" + who.name(), System.nanoTime());
            if (wait > 0) {
                ctx.header("Retry-After", Long.toString(RateLimited.seconds(wait)));
                throw new Problem(429, "rate_limited", "too many writes from " + who.name() + "; retry in " + wait + " ms");
            }
        }
        requirePermitted(who, needed, scope(ctx));
        if (needed == Permission.AGENT) requireEnrolled(who, ctx.pathParam("service"), ctx.pathParam("env"), ctx.pathParam("host"));
    }

    /** 403 unless {@code who} holds {@code p} on {@code service} (null: on no service in particular). */
    private static void requirePermitted(Principal who, Permission p, String service) {
        if (!who.can(p, service)) {
            throw new Problem(403, "forbidden", who.name() + " may not " + p.name().toLowerCase()
                    + (service == null ? "" : " on service '" + service + "'") + " (ask an admin for a role)");
        }
    }

    /** 403 unless {@code who} may speak for this host: a person, or the agent enrolled for it. */
    static void requireEnrolled(Principal who, String service, String env, String host) {
        if (!who.isAgentFor(service, env, host)) {
            throw new Problem(403, "forbidden", who.name() + " is not enrolled for " + service + "/" + env + "/" + host);
        }
    }

    /**
     * A WebSocket's upgrade: the same gate, and a refused credential counts against its address as a request's does
     * (no after-handler runs for an upgrade, so {@link #record} never sees it: a guesser would otherwise go unlimited).
     */
    private void checkUpgrade(Context ctx) {
        try {
            check(ctx);
        } catch (Problem p) {
            if (p.status() == 401) countGuess(ctx);
            throw p;
        }
    }

    /** A refused credential: spent from its address's and its guess's budgets. */
    private void countGuess(Context ctx) {
        countGuess(ctx.ip(), credential(ctx));
    }

    private void countGuess(String ip, String credential) {
        long now = System.nanoTime();
        guesses.acquire(ip + "|" + credential, now);
        strangers.acquire(ip, now);
    }

    private void refuseSpentAddress(Context ctx) {
        long wait = spent(ctx.ip(), ctx.header("Authorization"), () -> credential(ctx));
        if (wait == 0) return;
        ctx.header("Retry-After", Long.toString(RateLimited.seconds(wait)));
        throw new RateLimited(ctx.ip(), wait);
    }

    /** How long an address must wait before it is heard again (ms; 0: at once), its credential told lazily. */
    private long spent(String ip, String authorization, Supplier<String> credential) {
        // a failure is counted under the address and under the address with its credential at once (see record), so an
        // address never counted has no guesses either: the fleet's requests skip hashing their token a second time
        // (the guesses' map, with at least as many keys, is forgotten no later than the addresses')
        if (!strangers.knows(ip)) return 0;
        long now = System.nanoTime();
        long wait = Math.max(guesses.peek(ip + "|" + credential.get(), now), strangers.peek(ip, now));
        if (wait == 0) return 0;
        if (bearer(authorization) && auth.recentlyAuthenticated(authorization.substring(7))) return 0;
        return wait;
    }

    /** An address that spent its budget of failed sign-ins: 429, with how long to wait. */
    static final class RateLimited extends Problem {
        private final long waitMillis;

        RateLimited(String ip, long waitMillis) {
            super(429, "rate_limited", "too many failed sign-ins from " + ip + "; retry in " + waitMillis + " ms");
            this.waitMillis = waitMillis;
        }

        /** The Retry-After header's seconds. */
        long retryAfterSeconds() {
            return seconds(waitMillis);
        }

        static long seconds(long millis) {
            return Math.max(1, (millis + 999) / 1000);
        }
    }

    private static boolean bearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
    }

    /** What a request signs in with, for counting failures: a token's hash (never the token), a user name, or nothing. */
    private static String credential(Context ctx) {
        String token = tokenCredential(ctx.header("Authorization"));
        if (token != null) return token;
        if (ctx.method() == HandlerType.POST && "/login".equals(ctx.endpointHandlerPath())) {
            String user = ctx.formParam("user");
            return "user:" + (user == null ? "" : user);
        }
        return "none";
    }

    /** A bearer token's credential for counting failures: its hash, never the token (null: no bearer token). */
    private static String tokenCredential(String authorization) {
        if (!bearer(authorization)) return null;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(authorization.substring(7).getBytes(StandardCharsets.UTF_8));
            return "token:" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ the agents' channel on its own port

    /**
     * The gate of an agent's channel on the channel's own port ({@link NettyChannel}), without a request of Javalin's:
     * what {@link #check} and {@link #checkUpgrade} do for an agent's route, from the caller's address and Authorization
     * header alone. A spent address is refused (429, {@link RateLimited}), the bearer token authenticated (401, and the
     * failure counted against the address), the principal must hold {@link Permission#AGENT} on the service and be enrolled
     * for the host (403). Reads the database for a token not seen lately: called off the channel's event loop.
     */
    Principal admitAgent(String ip, String authorization, String service, String env, String host) {
        String credential = tokenCredential(authorization);
        long wait = spent(ip, authorization, () -> credential == null ? "none" : credential);
        if (wait > 0) throw new RateLimited(ip, wait);
        Principal who;
        try {
            if (authorization == null) {
                throw new Problem(401, "unauthenticated", "send 'Authorization: Bearer <token>': the agent's channel takes an enrolment token");
            }
            who = bearerPrincipal(authorization);
        } catch (Problem p) {
            countGuess(ip, credential == null ? "none" : credential);
            throw p;
        }
        requirePermitted(who, Permission.AGENT, service);
        requireEnrolled(who, service, env, host);
        return who;
    }

    private Principal authenticate(Context ctx) {
        String header = ctx.header("Authorization");
        if (header != null) return bearerPrincipal(header);
        String cookie = ctx.cookie(SESSION_COOKIE);
        if (cookie == null) return null;
        var session = auth.session(cookie);
        if (session.isEmpty()) return null;
        if (isWrite(ctx) && !session.get().getValue().csrf().equals(ctx.header(CSRF_HEADER))) {
            throw new Problem(403, "csrf", "missing or wrong " + CSRF_HEADER + " header for a signed-in browser session; reload the page");
        }
        ctx.attribute(CSRF, session.get().getValue().csrf());
        return session.get().getKey();
    }

    /** Who an Authorization header's bearer token is (401 when it is not one, or unknown, expired or revoked). */
    private Principal bearerPrincipal(String header) {
        if (!bearer(header)) throw new Problem(401, "unauthenticated", "the Authorization header must be 'Bearer <token>'");
        Optional<Principal> p = auth.authenticate(header.substring(7));
        if (p.isEmpty()) throw new Problem(401, "invalid_token", "the token is unknown, expired or revoked");
        return p.get();
    }

    private static boolean isWrite(Context ctx) {
        return ctx.method() != HandlerType.GET && ctx.method() != HandlerType.HEAD;
    }

    private boolean isPage(Context ctx) {
        return ctx.method() == HandlerType.GET && server.surface(ctx) == ApiServer.Surface.PAGE;
    }

    /** The service a request touches: from the path, or from the rollout, incident or action item it names. */
    private String scope(Context ctx) {
        Map<String, String> params = ctx.pathParamMap();
        if (params.containsKey("service")) return params.get("service");
        String id = params.get("id");
        if (id == null) return null;
        try {
            return switch (server.idOf(ctx)) {
                case ROLLOUT -> rollouts.find(id).map(Rollout::service).orElse(null);
                case INCIDENT -> incidents.find(Integer.parseInt(id)).map(Incident::service).orElse(null);
                case ACTION_ITEM -> incidents.actions().incidentOf(Integer.parseInt(id)).map(Incident::service).orElse(null);
                case NOTHING -> null;
            };
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ the audit record

    private void record(Context ctx) {
        Principal who = principal(ctx);
        if (who == null && ctx.statusCode() == 401) countGuess(ctx);
        if (!isWrite(ctx) || ctx.method() == HandlerType.OPTIONS) return;
        Permission p = server.permission(ctx);
        // the agents' heartbeats are telemetry, not actions; registering is recorded
        if (p == Permission.AGENT || Boolean.TRUE.equals(ctx.attribute(RECORDED))) return;
        // the log is of principals' actions: refused strangers and rate-limited requests changed nothing, and recording
        // each would let anyone flood it (they show in the request metrics by status instead); a sign-in is recorded
        if (ctx.statusCode() == 429 || who == null && (ctx.statusCode() >= 400 || ctx.attribute(AFTER) == null)) {
            log.debug("not audited: {} {} -> {} from {}", ctx.method(), ctx.path(), ctx.statusCode(), ctx.ip());
            return;
        }
        String route = ctx.endpointHandlerPath();
        if (route == null || route.isEmpty()) route = ctx.path();
        String after = ctx.attribute(AFTER);
        if (after == null && ctx.statusCode() < 300) {
            String body = ctx.result();
            if (body != null && body.startsWith("{") && body.length() <= 16_000) after = body;
        }
        if (ctx.statusCode() >= 400) after = ctx.result();
        try {
            audit.append(who == null ? signedIn(ctx) : who.name(), ctx.ip(), ctx.method().name() + " " + route, ctx.path(), ctx.statusCode(),
                    redact(ctx.attribute(BEFORE)), redact(after));
        } catch (RuntimeException e) {
            log.error("audit record failed for {} {}: {}", ctx.method(), ctx.path(), e.toString());
        }
    }

    /** Who a successful sign-in signed in (the route says so in its after-state). */
    private static String signedIn(Context ctx) {
        String after = ctx.attribute(AFTER);
        try {
            String user = Json.MAPPER.readTree(after).path("user").asText("");
            return user.isEmpty() ? "anonymous" : user;
        } catch (Exception e) {
            return "anonymous";
        }
    }

    /** Tokens and secrets the built-in patterns know never reach the audit log, even in a response that shows one. */
    static String redact(String s) {
        return s == null ? null : Secrets.builtIn().mask(TOKENS.matcher(s).replaceAll("rg_...redacted"));
    }
}
