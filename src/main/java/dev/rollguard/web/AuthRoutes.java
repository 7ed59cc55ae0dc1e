package dev.rollguard.web;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.audit.AuditLog;
import dev.rollguard.auth.AuthService;
import dev.rollguard.auth.Permission;
import dev.rollguard.auth.Principal;
import dev.rollguard.auth.Role;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.VersionInfo;
import io.javalin.http.Cookie;
import io.javalin.http.SameSite;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static dev.rollguard.web.ApiServer.json;
import static dev.rollguard.web.Html.esc;

/** Sign-in, users, roles, tokens, agent enrolment, approvals of high-risk versions, and the audit log. */
public final class AuthRoutes {
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record UserBody(String name) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RoleBody(String service, String role) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TokenBody(String user, String name, Integer expiresInDays) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record EnrolBody(String host, Integer expiresInDays, Integer maxHosts) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ApproveBody(String comment) {}

    private AuthRoutes() {}

    public static void register(ApiServer server, AuthService auth, AuditLog audit, ConfigService config) {
        server.get("/login", Permission.PUBLIC, ctx -> ctx.contentType("text/html; charset=utf-8").result(loginPage(ctx.queryParam("next"), null)));
        server.post("/login", Permission.PUBLIC, ctx -> {
            String user = ctx.formParam("user");
            String token = ctx.formParam("token");
            String next = safeNext(ctx.formParam("next"));
            var session = user == null || token == null ? Optional.<Map.Entry<String, AuthService.Session>>empty() : auth.login(user.strip(), token);
            if (session.isEmpty()) {
                ctx.status(401).contentType("text/html; charset=utf-8").result(loginPage(next, "Unknown user or token."));
                return;
            }
            Cookie c = new Cookie(Access.SESSION_COOKIE, session.get().getKey(), "/", 12 * 3600, "https".equals(ctx.scheme()), 0, true, null, null,
                    SameSite.STRICT);
            ctx.cookie(c);
            Access.after(ctx, Map.of("user", user.strip()));
            ctx.redirect(next);
        });
        server.post("/logout", Permission.AUTHENTICATED, ctx -> {
            auth.logout(ctx.cookie(Access.SESSION_COOKIE));
            ctx.removeCookie(Access.SESSION_COOKIE, "/");
            if ("true".equals(ctx.header("HX-Request"))) ctx.header("HX-Redirect", "/login");
            else ctx.redirect("/login");
        });
        server.get("/api/v1/whoami", Permission.AUTHENTICATED, ctx -> json(ctx, Access.principal(ctx)));

        server.get("/api/v1/users", Permission.ADMIN, ctx -> json(ctx, auth.users()));
        server.post("/api/v1/users", Permission.ADMIN, ctx -> {
            UserBody b = server.body(ctx, UserBody.class);
            auth.addUser(b.name());
            json(ctx.status(201), Map.of("name", b.name()));
        });
        server.put("/api/v1/users/{user}/roles", Permission.ADMIN, ctx -> {
            RoleBody b = server.body(ctx, RoleBody.class);
            String service = scope(b.service(), config);
            auth.grant(ctx.pathParam("user"), service, Role.parse(b.role()));
            json(ctx, Map.of("user", ctx.pathParam("user"), "service", service, "role", Role.parse(b.role())));
        });
        server.delete("/api/v1/users/{user}/roles/{scope}/{role}", Permission.ADMIN, ctx -> {
            auth.revokeRole(ctx.pathParam("user"), ctx.pathParam("scope"), Role.parse(ctx.pathParam("role")));
            json(ctx, Map.of("revoked", true));
        });
        server.post("/api/v1/users/{user}/disable", Permission.ADMIN, ctx -> {
            auth.setDisabled(ctx.pathParam("user"), true);
            json(ctx, Map.of("user", ctx.pathParam("user"), "disabled", true));
        });

        // tokens: your own, or anyone's for an admin
        server.get("/api/v1/tokens", Permission.AUTHENTICATED, ctx -> {
            Principal who = Access.principal(ctx);
            json(ctx, auth.tokens(who.can(Permission.ADMIN, null) && ctx.queryParam("user") == null ? null
                    : ctx.queryParam("user") != null && who.can(Permission.ADMIN, null) ? ctx.queryParam("user") : who.name()));
        });
        server.post("/api/v1/tokens", Permission.AUTHENTICATED, ctx -> {
            TokenBody b = server.body(ctx, TokenBody.class);
            Principal who = Access.principal(ctx);
            if (who.kind() != Principal.Kind.USER) throw new Problem(403, "forbidden", "agents cannot create tokens");
            String user = b.user() == null ? who.name() : b.user();
            if (!user.equals(who.name())) Access.require(ctx, Permission.ADMIN, null);
            var t = auth.createUserToken(user, b.name(), b.expiresInDays(), who.name());
            json(ctx.status(201), Map.of("token", t.token(), "info", t.info(), "note", "shown once: store it now"));
        });
        server.delete("/api/v1/tokens/{id}", Permission.AUTHENTICATED, ctx -> {
            Principal who = Access.principal(ctx);
            var t = auth.token(ctx.pathParam("id"));
            boolean own = who.name().equals(t.user());
            if (!own) Access.require(ctx, Permission.ADMIN, t.service());
            auth.revoke(t.id());
            json(ctx, Map.of("revoked", t.id()));
        });
        server.post("/api/v1/services/{service}/environments/{env}/enrolments", Permission.ADMIN, ctx -> {
            String service = ctx.pathParam("service");
            String env = ctx.pathParam("env");
            if (!config.service(service).environments().contains(env)) {
                throw Problem.notFound("unknown_environment", service + " has no environment '" + env + "'");
            }
            String text = server.bodyText(ctx);
            EnrolBody b = text.isBlank() ? new EnrolBody(null, null, null) : ApiServer.parse(text, EnrolBody.class);
            var t = auth.enrol(service, env, b.host() == null || b.host().isBlank() ? null : b.host().strip(), b.expiresInDays(),
                    b.maxHosts(), Access.principal(ctx).name());
            json(ctx.status(201), Map.of("token", t.token(), "info", t.info(), "note", "shown once: give it to the agent (--token)"));
        });

        server.post("/api/v1/services/{service}/versions/{number}/approve", Permission.APPROVE, ctx -> {
            String service = ctx.pathParam("service");
            int n = ApiServer.intParam(ctx, "number");
            VersionInfo v = config.version(service, n);
            Principal who = Access.principal(ctx);
            if (who.name().equals(v.author())) {
                throw Problem.conflict("self_approval", "the author of v" + n + " cannot approve it: a second person must");
            }
            String text = server.bodyText(ctx);
            ApproveBody b = text.isBlank() ? new ApproveBody(null) : ApiServer.parse(text, ApproveBody.class);
            auth.approve(service, n, who.name(), b.comment());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("service", service);
            m.put("version", n);
            m.put("approvers", auth.approvers(service, n));
            json(ctx, m);
        });
        server.get("/api/v1/services/{service}/versions/{number}/approvals", Permission.READ, ctx ->
                json(ctx, auth.approvers(ctx.pathParam("service"), ApiServer.intParam(ctx, "number"))));

        server.get("/api/v1/audit", Permission.ADMIN, ctx -> {
            long after = Params.longValue(ctx, "after", 0);
            int limit = Params.integer(ctx, "limit", 1000, 1, 10_000);
            if ("jsonl".equals(Params.oneOf(ctx, "format", "json", "json", "jsonl"))) {
                StringBuilder sb = new StringBuilder();
                for (AuditLog.Entry e : audit.entries(after, limit)) sb.append(Json.write(e)).append('\n');
                ctx.contentType("application/x-ndjson; charset=utf-8").result(sb.toString());
            } else {
                json(ctx, audit.entries(after, limit));
            }
        });
        server.get("/api/v1/audit/verify", Permission.ADMIN, ctx -> json(ctx, audit.verify()));
    }

    private static String scope(String service, ConfigService config) {
        if (service == null || service.isBlank() || service.equals("*")) return "*";
        config.service(service);
        return service;
    }

    /** What a local path may hold: RFC 3986 path and query characters, nothing a browser would strip or reinterpret. */
    private static final Pattern LOCAL_PATH = Pattern.compile("/[A-Za-z0-9\\-._~!$&'()*+,;=:@/?%]*");

    /**
     * Only same-origin paths: a sign-in link must not redirect anywhere else. Browsers drop tabs and newlines and read
     * '\\' as '/', so "/\t/evil.example" means "//evil.example" to them: the path is checked as they will read it, after
     * percent-decoding too, and anything unusual falls back to "/".
     */
    static String safeNext(String next) {
        if (next == null || next.length() > 2000 || !LOCAL_PATH.matcher(next).matches()) return "/";
        String decoded;
        try {
            decoded = URLDecoder.decode(next.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "/";
        }
        if (decoded.startsWith("//") || decoded.contains("\\")) return "/";
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c)) return "/";
        }
        return next;
    }

    static String loginPage(String next, String error) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>Sign in · Rollguard</title><link rel=\"stylesheet\" href=\"/ui/app.css\"></head><body><header><span class=\"brand\">"
                + "Rollguard</span></header><main class=\"narrow\"><h1>Sign in</h1>"
                + (error == null ? "" : "<p class=\"error\" role=\"alert\">" + esc(error) + "</p>")
                + "<form method=\"post\" action=\"/login\" class=\"stack\"><input type=\"hidden\" name=\"next\" value=\"" + esc(safeNext(next)) + "\">"
                + "<label for=\"user\">User</label><input id=\"user\" name=\"user\" autocomplete=\"username\" required>"
                + "<label for=\"token\">API token</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required>"
                + "<button>Sign in</button></form><p class=\"muted\">Use one of your API tokens (<code>rollguard token create</code>). "
                + "The first admin token is printed once when the server first starts.</p></main></body></html>";
    }
}
