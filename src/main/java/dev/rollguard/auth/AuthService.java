package dev.rollguard.auth;

import dev.rollguard.Problem;
import dev.rollguard.config.Hashing;
import dev.rollguard.storage.Transactions;
import dev.rollguard.storage.Tx;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import static dev.rollguard.storage.Rows.instant;

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

    /** A user as administrators see it: roles per service ("*": every service). */
    public record UserInfo(String name, Instant createdAt, boolean disabled, List<RoleBinding> roles) {}

    public record RoleBinding(String service, Role role) {}

    /** A new token: its plain text exists only in this answer. */
    public record NewToken(String token, TokenInfo info) {}

    public record Session(String user, String csrf, Instant expiresAt) {}

    private final Transactions db;
    private final AuthStore store;
    private final Clock clock;
    /** Last-used times are written at most once a minute per token: a hot agent must not turn every read into a write. */
    private final Map<String, Instant> lastUsedWritten = new ConcurrentHashMap<>();

    public AuthService(Transactions db, AuthStore store, Clock clock) {
        this.db = db;
        this.store = store;
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
        return db.inTransaction(tx -> {
            if (store.userCount(tx) > 0) return Optional.<String>empty();
            String token = given != null && !given.isBlank() ? given.strip() : TOKEN_PREFIX + random(32);
            if (token.length() < 24) throw new IllegalArgumentException("a bootstrap token must have at least 24 characters");
            Instant now = clock.instant();
            store.insertUser(tx, "admin", now);
            store.grant(tx, "admin", "*", Role.ADMIN);
            store.insertToken(tx, token, "USER", "admin", "bootstrap", null, null, null, "rollguard", now, null);
            return Optional.of(token);
        });
    }

    // ------------------------------------------------------------------ authentication

    private record Cached(Optional<Principal> principal, long until, Instant expiresAt) {}

    /** Agents call several times a second: who a token is, is remembered for a few seconds (revocation included). */
    private static final long CACHE_NANOS = Duration.ofSeconds(5).toNanos();
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

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
        return db.read(tx -> {
            Optional<AuthStore.TokenRow> row = store.tokenByHash(tx, hash);
            if (row.isEmpty()) return none;
            AuthStore.TokenRow r = row.get();
            if (r.revokedAt() != null) return none;
            Instant expires = r.expiresAt();
            if (expires != null && !expires.isAfter(now)) return none;
            touch(r.id(), now);
            if ("AGENT".equals(r.kind())) {
                return new Cached(Optional.of(new Principal("agent:" + r.service() + "/" + r.env() + "/" + (r.host() == null ? "*" : r.host()),
                        Principal.Kind.AGENT, Map.of(), r.service(), r.env(), r.host(), r.id(), r.maxHosts())), until, expires);
            }
            return new Cached(user(tx, r.user(), r.id()), until, expires);
        });
    }

    /** A user who may act (unknown and disabled users may not), with their roles. */
    private Optional<Principal> user(Tx tx, String name, String tokenId) {
        return store.user(tx, name).filter(u -> !u.disabled())
                .map(u -> new Principal(name, Principal.Kind.USER, u.roles(), null, null, null, tokenId));
    }

    private void touch(String tokenId, Instant now) {
        Instant last = lastUsedWritten.get(tokenId);
        if (last != null && Duration.between(last, now).toSeconds() < 60) return;
        lastUsedWritten.put(tokenId, now);
        store.touchToken(tokenId, now);
    }

    // ------------------------------------------------------------------ users and roles

    public void addUser(String name) {
        if (name == null || !USER.matcher(name).matches()) {
            throw Problem.badRequest("invalid_user", "invalid user name '" + name + "': letters, digits, '.', '_', '@', '-'");
        }
        db.useTransaction(tx -> {
            if (store.userExists(tx, name)) throw Problem.conflict("user_exists", "user '" + name + "' exists already");
            store.insertUser(tx, name, clock.instant());
        });
    }

    public void setDisabled(String name, boolean disabled) {
        requireUser(name);
        store.setDisabled(name, disabled);
        invalidate();
    }

    private void requireUser(String name) {
        if (!store.userExists(name)) {
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
        db.useTransaction(tx -> store.grant(tx, user, service, role));
    }

    public void revokeRole(String user, String service, Role role) {
        requireUser(user);
        store.revokeRole(user, service, role);
        invalidate();
    }

    public List<UserInfo> users() {
        return store.users();
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
            store.limitHosts(t.info().id(), maxHosts);
        }
        return t;
    }

    private NewToken create(String kind, String user, String name, String service, String env, String host, Integer days, String by) {
        if (days != null && (days < 1 || days > 3650)) throw Problem.badRequest("invalid_expiry", "expiresInDays must be 1..3650");
        String token = TOKEN_PREFIX + random(32);
        Instant now = clock.instant();
        Instant expires = days == null ? null : now.plus(Duration.ofDays(days));
        String label = name == null || name.isBlank() ? kind.toLowerCase() + " token" : name.strip();
        String id = db.inTransaction(tx -> store.insertToken(tx, token, kind, user, label, service, env, host, by, now, expires));
        // as stored: times to the millisecond
        return new NewToken(token, new TokenInfo(id, kind, user, label, service, env, host, by, Instant.ofEpochMilli(now.toEpochMilli()),
                expires == null ? null : Instant.ofEpochMilli(expires.toEpochMilli()), null, null));
    }

    /** Tokens of one user (null: all). */
    public List<TokenInfo> tokens(String user) {
        return store.tokens(user);
    }

    public TokenInfo token(String id) {
        return tokens(null).stream().filter(t -> t.id().equals(id)).findFirst()
                .orElseThrow(() -> Problem.notFound("unknown_token", "no token " + id));
    }

    public void revoke(String id) {
        token(id);
        store.revokeToken(id, clock.instant());
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
        store.insertSession(id, user, csrf, now, expires, p.get().tokenId());
        return Optional.of(Map.entry(id, new Session(user, csrf, expires)));
    }

    public Optional<Map.Entry<Principal, Session>> session(String id) {
        if (id == null || id.isBlank() || id.length() > 100) return Optional.empty();
        Instant now = clock.instant();
        return db.read(tx -> {
            Optional<AuthStore.SessionRow> row = store.session(tx, id);
            if (row.isEmpty() || row.get().expiresAt().toEpochMilli() <= now.toEpochMilli()) return Optional.empty();
            Session s = new Session(row.get().user(), row.get().csrf(), row.get().expiresAt());
            return user(tx, s.user(), null).map(p -> Map.entry(p, s));
        });
    }

    public void logout(String id) {
        if (id == null) return;
        store.deleteSession(id);
    }

    // ------------------------------------------------------------------ approvals

    public void approve(String service, int version, String approver, String comment) {
        store.approve(service, version, approver, comment, clock.instant());
    }

    /** The versions of a service someone approved, newest first. */
    public List<Integer> approvedVersions(String service) {
        return store.approvedVersions(service);
    }

    public List<String> approvers(String service, int version) {
        return store.approvers(service, version);
    }
}
