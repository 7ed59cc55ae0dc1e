package dev.rollguard.auth;

import dev.rollguard.Problem;
import dev.rollguard.config.Hashing;
import org.jdbi.v3.core.Jdbi;

import static dev.rollguard.storage.Rows.instant;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Users, roles, tokens (people, CI and agents' enrolment tokens) and dashboard sessions. Tokens are 32 random
 * bytes; only their SHA-256 is stored, so a database leak does not leak credentials (the entropy makes a slow
 * hash unnecessary). The plain text is returned once, at creation.
 */
public final class AuthService {
    public static final String TOKEN_PREFIX = "rg_";
    private static final Pattern USER = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$");
    private static final Duration SESSION = Duration.ofHours(12);
    private static final SecureRandom RANDOM = new SecureRandom();

    public record TokenInfo(String id, String kind, String user, String name, String service, String env, String host, String createdBy,
                            Instant createdAt, Instant expiresAt, Instant revokedAt, Instant lastUsedAt) {}

    /** A new token: its plain text exists only in this answer. */
    public record NewToken(String token, TokenInfo info) {}

    public record Session(String user, String csrf, Instant expiresAt) {}

    private final Jdbi jdbi;
    private final Clock clock;
    /** Last-used times are written at most once a minute per token: a hot agent must not turn every read into a write. */
    private final Map<String, Instant> lastUsedWritten = new java.util.concurrent.ConcurrentHashMap<>();

    public AuthService(Jdbi jdbi, Clock clock) {
        this.jdbi = jdbi;
        this.clock = clock;
    }

    static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * On a first start (no users yet) creates "admin" with the admin role on every service and returns its token,
     * to be printed once; {@code given} (e.g. from ROLLGUARD_BOOTSTRAP_TOKEN) is used instead of a random one.
     */
    public Optional<String> bootstrap(String given) {
        return jdbi.inTransaction(h -> {
            if (h.createQuery("SELECT COUNT(*) FROM users").mapTo(Integer.class).one() > 0) return Optional.<String>empty();
            String token = given != null && !given.isBlank() ? given.strip() : TOKEN_PREFIX + random(32);
            if (token.length() < 24) throw new IllegalArgumentException("a bootstrap token must have at least 24 characters");
            Instant now = clock.instant();
            h.createUpdate("INSERT INTO users (name, created_at, disabled) VALUES ('admin', :now, FALSE)").bind("now", now.toEpochMilli()).execute();
            h.createUpdate("INSERT INTO role_bindings (user_name, service, role) VALUES ('admin', '*', 'ADMIN')").execute();
            insertToken(h, token, "USER", "admin", "bootstrap", null, null, null, "rollguard", now, null);
            return Optional.of(token);
        });
    }

    /** Stores a token's hash; returns its id. */
    private static String insertToken(org.jdbi.v3.core.Handle h, String token, String kind, String user, String name, String service,
                                      String env, String host, String by, Instant now, Instant expires) {
        String id = UUID.randomUUID().toString();
        h.createUpdate("INSERT INTO tokens (id, hash, kind, user_name, name, service, environment, host, created_by, created_at, expires_at) "
                        + "VALUES (:id, :hash, :kind, :user, :name, :service, :env, :host, :by, :now, :expires)")
                .bind("id", id).bind("hash", Hashing.sha256(token)).bind("kind", kind).bind("user", user)
                .bind("name", name).bind("service", service).bind("env", env).bind("host", host).bind("by", by)
                .bind("now", now.toEpochMilli()).bind("expires", expires == null ? null : expires.toEpochMilli()).execute();
        return id;
    }

    // ------------------------------------------------------------------ authentication

    private record Cached(Optional<Principal> principal, long until, Instant expiresAt) {}

    /** Agents call several times a second: who a token is, is remembered for a few seconds (revocation included). */
    private static final long CACHE_NANOS = Duration.ofSeconds(5).toNanos();
    private final Map<String, Cached> cache = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The principal of a bearer token, or empty if the token is unknown, expired or revoked. Answers are cached
     * for 5 s: a revocation, a disabled user or a changed role takes effect within 5 s on every server (at once
     * on the one that made the change).
     */
    public Optional<Principal> authenticate(String token) {
        if (token == null || token.isBlank() || token.length() > 200) return Optional.empty();
        String hash = Hashing.sha256(token.strip());
        long nanos = System.nanoTime();
        Cached c = cache.get(hash);
        if (c != null && nanos < c.until() && (c.expiresAt() == null || clock.instant().isBefore(c.expiresAt()))) return c.principal();
        Cached found = lookup(hash, nanos + CACHE_NANOS);
        if (cache.size() > 100_000) cache.clear();
        cache.put(hash, found);
        return found.principal();
    }

    /** Whether this token authenticated in the last seconds (answered from memory, no database read). */
    public boolean recentlyAuthenticated(String token) {
        if (token == null || token.isBlank() || token.length() > 200) return false;
        Cached c = cache.get(Hashing.sha256(token.strip()));
        return c != null && c.principal().isPresent() && System.nanoTime() < c.until()
                && (c.expiresAt() == null || clock.instant().isBefore(c.expiresAt()));
    }

    /** Forget cached answers: roles, users or tokens changed. */
    private void invalidate() {
        cache.clear();
    }

    /** The token's principal and expiry, read once, to be remembered until {@code until} (System.nanoTime()). */
    private Cached lookup(String hash, long until) {
        Instant now = clock.instant();
        Cached none = new Cached(Optional.empty(), until, null);
        return jdbi.withHandle(h -> {
            Optional<Map<String, Object>> row = h.createQuery("SELECT id, kind, user_name, service, environment, host, expires_at, revoked_at, max_hosts "
                    + "FROM tokens WHERE hash = :hash").bind("hash", hash).mapToMap().findOne();
            if (row.isEmpty()) return none;
            Map<String, Object> r = row.get();
            if (r.get("revoked_at") != null) return none;
            Object exp = r.get("expires_at");
            Instant expires = exp == null ? null : Instant.ofEpochMilli(((Number) exp).longValue());
            if (expires != null && !expires.isAfter(now)) return none;
            String id = (String) r.get("id");
            touch(id, now);
            if ("AGENT".equals(r.get("kind"))) {
                return new Cached(Optional.of(new Principal("agent:" + r.get("service") + "/" + r.get("environment") + "/"
                        + (r.get("host") == null ? "*" : r.get("host")), Principal.Kind.AGENT, Map.of(), (String) r.get("service"),
                        (String) r.get("environment"), (String) r.get("host"), id,
                        r.get("max_hosts") == null ? null : ((Number) r.get("max_hosts")).intValue())), until, expires);
            }
            return new Cached(user(h, (String) r.get("user_name"), id), until, expires);
        });
    }

    private Optional<Principal> user(org.jdbi.v3.core.Handle h, String name, String tokenId) {
        Boolean disabled = h.createQuery("SELECT disabled FROM users WHERE name = :n").bind("n", name).mapTo(Boolean.class).findOne().orElse(true);
        if (disabled) return Optional.empty();
        Map<String, Set<Role>> roles = new HashMap<>();
        h.createQuery("SELECT service, role FROM role_bindings WHERE user_name = :n").bind("n", name).mapToMap()
                .forEach(m -> roles.computeIfAbsent((String) m.get("service"), k -> new HashSet<>()).add(Role.valueOf((String) m.get("role"))));
        return Optional.of(new Principal(name, Principal.Kind.USER, roles, null, null, null, tokenId));
    }

    private void touch(String tokenId, Instant now) {
        Instant last = lastUsedWritten.get(tokenId);
        if (last != null && Duration.between(last, now).toSeconds() < 60) return;
        lastUsedWritten.put(tokenId, now);
        jdbi.useTransaction(h -> h.createUpdate("UPDATE tokens SET last_used_at = :now WHERE id = :id").bind("now", now.toEpochMilli())
                .bind("id", tokenId).execute());
    }

    // ------------------------------------------------------------------ users and roles

    public void addUser(String name) {
        if (name == null || !USER.matcher(name).matches()) {
            throw Problem.badRequest("invalid_user", "invalid user name '" + name + "': letters, digits, '.', '_', '@', '-'");
        }
        jdbi.useTransaction(h -> {
            if (h.createQuery("SELECT COUNT(*) FROM users WHERE name = :n").bind("n", name).mapTo(Integer.class).one() > 0) {
                throw Problem.conflict("user_exists", "user '" + name + "' exists already");
            }
            h.createUpdate("INSERT INTO users (name, created_at, disabled) VALUES (:n, :now, FALSE)").bind("n", name)
                    .bind("now", clock.instant().toEpochMilli()).execute();
        });
    }

    public void setDisabled(String name, boolean disabled) {
        requireUser(name);
        jdbi.useTransaction(h -> h.createUpdate("UPDATE users SET disabled = :d WHERE name = :n").bind("d", disabled).bind("n", name).execute());
        invalidate();
    }

    private void requireUser(String name) {
        if (jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM users WHERE name = :n").bind("n", name).mapTo(Integer.class).one()) == 0) {
            throw Problem.notFound("unknown_user", "no user '" + name + "'");
        }
    }

    public void grant(String user, String service, Role role) {
        requireUser(user);
        try {
            grantNow(user, service, role);
        } finally {
            invalidate();
        }
    }

    private void grantNow(String user, String service, Role role) {
        jdbi.useTransaction(h -> {
            int n = h.createQuery("SELECT COUNT(*) FROM role_bindings WHERE user_name = :u AND service = :s AND role = :r").bind("u", user)
                    .bind("s", service).bind("r", role.name()).mapTo(Integer.class).one();
            if (n == 0) {
                h.createUpdate("INSERT INTO role_bindings (user_name, service, role) VALUES (:u, :s, :r)").bind("u", user).bind("s", service)
                        .bind("r", role.name()).execute();
            }
        });
    }

    public void revokeRole(String user, String service, Role role) {
        requireUser(user);
        jdbi.useTransaction(h -> h.createUpdate("DELETE FROM role_bindings WHERE user_name = :u AND service = :s AND role = :r")
                .bind("u", user).bind("s", service).bind("r", role.name()).execute());
        invalidate();
    }

    public List<Map<String, Object>> users() {
        return jdbi.withHandle(h -> {
            List<Map<String, Object>> out = new java.util.ArrayList<>();
            for (Map<String, Object> u : h.createQuery("SELECT name, created_at, disabled FROM users ORDER BY name").mapToMap().list()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", u.get("name"));
                m.put("createdAt", Instant.ofEpochMilli(((Number) u.get("created_at")).longValue()));
                m.put("disabled", u.get("disabled"));
                m.put("roles", h.createQuery("SELECT service, role FROM role_bindings WHERE user_name = :n ORDER BY service, role")
                        .bind("n", u.get("name")).mapToMap().list());
                out.add(m);
            }
            return out;
        });
    }

    // ------------------------------------------------------------------ tokens

    public NewToken createUserToken(String user, String name, Integer expiresInDays, String by) {
        requireUser(user);
        return create("USER", user, name, null, null, null, expiresInDays, by);
    }

    /**
     * An agent's enrolment token: one service and environment, one host unless {@code host} is null; then at most
     * {@code maxHosts} hosts ({@link Principal#DEFAULT_ENROLMENT_HOSTS} if null).
     */
    public NewToken enrol(String service, String env, String host, Integer expiresInDays, Integer maxHosts, String by) {
        if (maxHosts != null && (maxHosts < 1 || maxHosts > 100_000)) throw Problem.badRequest("invalid_max_hosts", "maxHosts must be 1..100000");
        if (maxHosts != null && host != null) throw Problem.badRequest("invalid_max_hosts", "a token for one host registers that host only");
        NewToken t = create("AGENT", null, host == null ? "enrolment " + service + "/" + env : "enrolment " + service + "/" + env + "/" + host,
                service, env, host, expiresInDays, by);
        if (maxHosts != null) {
            jdbi.useTransaction(h -> h.createUpdate("UPDATE tokens SET max_hosts = :m WHERE id = :id").bind("m", maxHosts)
                    .bind("id", t.info().id()).execute());
        }
        return t;
    }

    private NewToken create(String kind, String user, String name, String service, String env, String host, Integer days, String by) {
        if (days != null && (days < 1 || days > 3650)) throw Problem.badRequest("invalid_expiry", "expiresInDays must be 1..3650");
        String token = TOKEN_PREFIX + random(32);
        Instant now = clock.instant();
        Instant expires = days == null ? null : now.plus(Duration.ofDays(days));
        String label = name == null || name.isBlank() ? kind.toLowerCase() + " token" : name.strip();
        String id = jdbi.inTransaction(h -> insertToken(h, token, kind, user, label, service, env, host, by, now, expires));
        // as stored: times to the millisecond
        return new NewToken(token, new TokenInfo(id, kind, user, label, service, env, host, by, Instant.ofEpochMilli(now.toEpochMilli()),
                expires == null ? null : Instant.ofEpochMilli(expires.toEpochMilli()), null, null));
    }

    /** Tokens of one user (null: all). */
    public List<TokenInfo> tokens(String user) {
        return jdbi.withHandle(h -> {
            var q = h.createQuery("SELECT id, kind, user_name, name, service, environment, host, created_by, created_at, expires_at, revoked_at, "
                    + "last_used_at FROM tokens" + (user == null ? "" : " WHERE user_name = :u") + " ORDER BY created_at");
            if (user != null) q.bind("u", user);
            return q.map((rs, c) -> new TokenInfo(rs.getString("id"), rs.getString("kind"), rs.getString("user_name"), rs.getString("name"),
                        rs.getString("service"), rs.getString("environment"), rs.getString("host"), rs.getString("created_by"),
                        instant(rs, "created_at"), instant(rs, "expires_at"), instant(rs, "revoked_at"), instant(rs, "last_used_at"))).list();
        });
    }

    public TokenInfo token(String id) {
        return tokens(null).stream().filter(t -> t.id().equals(id)).findFirst()
                .orElseThrow(() -> Problem.notFound("unknown_token", "no token " + id));
    }

    public void revoke(String id) {
        token(id);
        jdbi.useTransaction(h -> h.createUpdate("UPDATE tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("now", clock.instant().toEpochMilli()).bind("id", id).execute());
        invalidate();
    }


    // ------------------------------------------------------------------ sessions

    /** Dashboard sign-in with a user name and one of that user's tokens; returns the session id (the cookie). */
    public Optional<Map.Entry<String, Session>> login(String user, String token) {
        Optional<Principal> p = authenticate(token);
        if (p.isEmpty() || p.get().kind() != Principal.Kind.USER || !p.get().name().equals(user)) return Optional.empty();
        String id = random(32);
        String csrf = random(24);
        Instant now = clock.instant();
        Instant expires = now.plus(SESSION);
        String tokenId = p.get().tokenId();
        jdbi.useTransaction(h -> h.createUpdate("INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at, token_id) "
                + "VALUES (:id, :u, :csrf, :now, :exp, :token)").bind("id", Hashing.sha256(id)).bind("u", user).bind("csrf", csrf)
                .bind("now", now.toEpochMilli()).bind("exp", expires.toEpochMilli()).bind("token", tokenId).execute());
        return Optional.of(Map.entry(id, new Session(user, csrf, expires)));
    }

    public Optional<Map.Entry<Principal, Session>> session(String id) {
        if (id == null || id.isBlank() || id.length() > 100) return Optional.empty();
        Instant now = clock.instant();
        return jdbi.withHandle(h -> {
            // a session lives only as long as the token it signed in with: revoking or expiring the token ends it too
            Optional<Map<String, Object>> row = h.createQuery("SELECT s.user_name, s.csrf, s.expires_at FROM sessions s "
                    + "JOIN tokens t ON t.id = s.token_id WHERE s.id_hash = :id AND t.revoked_at IS NULL "
                    + "AND (t.expires_at IS NULL OR t.expires_at > :now)")
                    .bind("id", Hashing.sha256(id)).bind("now", now.toEpochMilli()).mapToMap().findOne();
            if (row.isEmpty() || ((Number) row.get().get("expires_at")).longValue() <= now.toEpochMilli()) return Optional.empty();
            String user = (String) row.get().get("user_name");
            Session s = new Session(user, (String) row.get().get("csrf"), Instant.ofEpochMilli(((Number) row.get().get("expires_at")).longValue()));
            return user(h, user, null).map(p -> Map.entry(p, s));
        });
    }

    public void logout(String id) {
        if (id == null) return;
        jdbi.useTransaction(h -> h.createUpdate("DELETE FROM sessions WHERE id_hash = :id").bind("id", Hashing.sha256(id)).execute());
    }

    // ------------------------------------------------------------------ approvals

    public void approve(String service, int version, String approver, String comment) {
        Instant now = clock.instant();
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM approvals WHERE service = :s AND version = :v AND approver = :a").bind("s", service).bind("v", version)
                    .bind("a", approver).execute();
            h.createUpdate("INSERT INTO approvals (service, version, approver, comment, at) VALUES (:s, :v, :a, :c, :at)").bind("s", service)
                    .bind("v", version).bind("a", approver).bind("c", comment).bind("at", now.toEpochMilli()).execute();
        });
    }

    /** The versions of a service someone approved, newest first. */
    public List<Integer> approvedVersions(String service) {
        return jdbi.withHandle(h -> h.createQuery("SELECT DISTINCT version FROM approvals WHERE service = :s ORDER BY version DESC")
                .bind("s", service).mapTo(Integer.class).list());
    }

    public List<String> approvers(String service, int version) {
        return jdbi.withHandle(h -> h.createQuery("SELECT approver FROM approvals WHERE service = :s AND version = :v ORDER BY at")
                .bind("s", service).bind("v", version).mapTo(String.class).list());
    }
}
