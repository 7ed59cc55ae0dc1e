package dev.rollguard.auth;

import dev.rollguard.config.Hashing;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import static dev.rollguard.storage.Rows.instant;

/** The users, role_bindings, tokens, sessions and approvals tables. Tokens and sessions are stored by hash only. */
public final class AuthStore {
    /** A token row as authentication needs it. */
    public record TokenRow(String id, String kind, String user, String service, String env, String host, Instant expiresAt,
                           Instant revokedAt) {}

    /** A session row; the user is looked up separately (disabled users have no session). */
    public record SessionRow(String user, String csrf, Instant expiresAt) {}

    /** A user and whether they may sign in; roles per service ("*": every service). */
    public record UserRow(boolean disabled, Map<String, Set<Role>> roles) {}

    private final Jdbi jdbi;

    public AuthStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public <R> R inTransaction(Function<Handle, R> work) {
        return jdbi.inTransaction(work::apply);
    }

    public <R> R withHandle(Function<Handle, R> work) {
        return jdbi.withHandle(work::apply);
    }

    // ------------------------------------------------------------------ users and roles

    public int userCount(Handle h) {
        return h.createQuery("SELECT COUNT(*) FROM users").mapTo(Integer.class).one();
    }

    public boolean userExists(Handle h, String name) {
        return h.createQuery("SELECT COUNT(*) FROM users WHERE name = :n").bind("n", name).mapTo(Integer.class).one() > 0;
    }

    public boolean userExists(String name) {
        return withHandle(h -> userExists(h, name));
    }

    public void insertUser(Handle h, String name, Instant now) {
        h.createUpdate("INSERT INTO users (name, created_at, disabled) VALUES (:n, :now, FALSE)").bind("n", name)
                .bind("now", now.toEpochMilli()).execute();
    }

    public void setDisabled(String name, boolean disabled) {
        jdbi.useTransaction(h -> h.createUpdate("UPDATE users SET disabled = :d WHERE name = :n").bind("d", disabled).bind("n", name).execute());
    }

    /** The user with their roles; empty for an unknown user. */
    public Optional<UserRow> user(Handle h, String name) {
        Optional<Boolean> disabled = h.createQuery("SELECT disabled FROM users WHERE name = :n").bind("n", name).mapTo(Boolean.class).findOne();
        if (disabled.isEmpty()) return Optional.empty();
        Map<String, Set<Role>> roles = new HashMap<>();
        h.createQuery("SELECT service, role FROM role_bindings WHERE user_name = :n").bind("n", name).mapToMap()
                .forEach(m -> roles.computeIfAbsent((String) m.get("service"), k -> new HashSet<>()).add(Role.valueOf((String) m.get("role"))));
        return Optional.of(new UserRow(disabled.get(), roles));
    }

    /** Adds the binding unless it exists. */
    public void grant(Handle h, String user, String service, Role role) {
        int n = h.createQuery("SELECT COUNT(*) FROM role_bindings WHERE user_name = :u AND service = :s AND role = :r").bind("u", user)
                .bind("s", service).bind("r", role.name()).mapTo(Integer.class).one();
        if (n == 0) {
            h.createUpdate("INSERT INTO role_bindings (user_name, service, role) VALUES (:u, :s, :r)").bind("u", user).bind("s", service)
                    .bind("r", role.name()).execute();
        }
    }

    public void revokeRole(String user, String service, Role role) {
        jdbi.useTransaction(h -> h.createUpdate("DELETE FROM role_bindings WHERE user_name = :u AND service = :s AND role = :r")
                .bind("u", user).bind("s", service).bind("r", role.name()).execute());
    }

    /** Every user with when they were created, whether they are disabled, and their role bindings. */
    public List<Map<String, Object>> users() {
        return jdbi.withHandle(h -> {
            List<Map<String, Object>> out = new ArrayList<>();
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

    /** Stores a token's hash; returns its id. */
    public String insertToken(Handle h, String token, String kind, String user, String name, String service, String env, String host,
                              String by, Instant now, Instant expires) {
        String id = UUID.randomUUID().toString();
        h.createUpdate("INSERT INTO tokens (id, hash, kind, user_name, name, service, environment, host, created_by, created_at, expires_at) "
                        + "VALUES (:id, :hash, :kind, :user, :name, :service, :env, :host, :by, :now, :expires)")
                .bind("id", id).bind("hash", Hashing.sha256(token)).bind("kind", kind).bind("user", user)
                .bind("name", name).bind("service", service).bind("env", env).bind("host", host).bind("by", by)
                .bind("now", now.toEpochMilli()).bind("expires", expires == null ? null : expires.toEpochMilli()).execute();
        return id;
    }

    public Optional<TokenRow> tokenByHash(Handle h, String hash) {
        return h.createQuery("SELECT id, kind, user_name, service, environment, host, expires_at, revoked_at FROM tokens WHERE hash = :hash")
                .bind("hash", hash)
                .map((rs, c) -> new TokenRow(rs.getString("id"), rs.getString("kind"), rs.getString("user_name"), rs.getString("service"),
                        rs.getString("environment"), rs.getString("host"), instant(rs, "expires_at"), instant(rs, "revoked_at")))
                .findOne();
    }

    public void touchToken(String id, Instant now) {
        jdbi.useTransaction(h -> h.createUpdate("UPDATE tokens SET last_used_at = :now WHERE id = :id").bind("now", now.toEpochMilli())
                .bind("id", id).execute());
    }

    /** Tokens of one user (null: all), oldest first. */
    public List<AuthService.TokenInfo> tokens(String user) {
        return jdbi.withHandle(h -> {
            var q = h.createQuery("SELECT id, kind, user_name, name, service, environment, host, created_by, created_at, expires_at, revoked_at, "
                    + "last_used_at FROM tokens" + (user == null ? "" : " WHERE user_name = :u") + " ORDER BY created_at");
            if (user != null) q.bind("u", user);
            return q.map((rs, c) -> new AuthService.TokenInfo(rs.getString("id"), rs.getString("kind"), rs.getString("user_name"),
                    rs.getString("name"), rs.getString("service"), rs.getString("environment"), rs.getString("host"), rs.getString("created_by"),
                    instant(rs, "created_at"), instant(rs, "expires_at"), instant(rs, "revoked_at"), instant(rs, "last_used_at"))).list();
        });
    }

    public void revokeToken(String id, Instant now) {
        jdbi.useTransaction(h -> h.createUpdate("UPDATE tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .bind("now", now.toEpochMilli()).bind("id", id).execute());
    }

    // ------------------------------------------------------------------ sessions

    public void insertSession(String id, String user, String csrf, Instant now, Instant expires) {
        jdbi.useTransaction(h -> h.createUpdate("INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at) "
                + "VALUES (:id, :u, :csrf, :now, :exp)").bind("id", Hashing.sha256(id)).bind("u", user).bind("csrf", csrf)
                .bind("now", now.toEpochMilli()).bind("exp", expires.toEpochMilli()).execute());
    }

    public Optional<SessionRow> session(Handle h, String id) {
        return h.createQuery("SELECT user_name, csrf, expires_at FROM sessions WHERE id_hash = :id").bind("id", Hashing.sha256(id))
                .map((rs, c) -> new SessionRow(rs.getString("user_name"), rs.getString("csrf"), Instant.ofEpochMilli(rs.getLong("expires_at"))))
                .findOne();
    }

    public void deleteSession(String id) {
        jdbi.useTransaction(h -> h.createUpdate("DELETE FROM sessions WHERE id_hash = :id").bind("id", Hashing.sha256(id)).execute());
    }

    // ------------------------------------------------------------------ approvals

    /** One approval per person and version: approving again replaces the comment. */
    public void approve(String service, int version, String approver, String comment, Instant now) {
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM approvals WHERE service = :s AND version = :v AND approver = :a").bind("s", service).bind("v", version)
                    .bind("a", approver).execute();
            h.createUpdate("INSERT INTO approvals (service, version, approver, comment, at) VALUES (:s, :v, :a, :c, :at)").bind("s", service)
                    .bind("v", version).bind("a", approver).bind("c", comment).bind("at", now.toEpochMilli()).execute();
        });
    }

    public List<String> approvers(String service, int version) {
        return jdbi.withHandle(h -> h.createQuery("SELECT approver FROM approvals WHERE service = :s AND version = :v ORDER BY at")
                .bind("s", service).bind("v", version).mapTo(String.class).list());
    }
}
