package dev.rollguard.auth;

import dev.rollguard.config.Hashing;
import dev.rollguard.storage.Store;
import dev.rollguard.storage.Tx;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static dev.rollguard.storage.Rows.instant;
import static dev.rollguard.storage.Rows.integer;

/** The users, role_bindings, tokens, sessions and approvals tables. Tokens and sessions are stored by hash only. */
public final class AuthStore extends Store {
    /** A token row as authentication needs it. */
    /** {@code maxHosts}: how many hosts an enrolment token without a host may register (null: the default). */
    public record TokenRow(String id, String kind, String user, String service, String env, String host, Instant expiresAt,
                           Instant revokedAt, Integer maxHosts) {}

    /** A session row; the user is looked up separately (disabled users have no session). */
    public record SessionRow(String user, String csrf, Instant expiresAt) {}

    /** A user and whether they may sign in; roles per service ("*": every service). */
    public record UserRow(boolean disabled, Map<String, Set<Role>> roles) {}

    public AuthStore(Jdbi jdbi) {
        super(jdbi);
    }

    // ------------------------------------------------------------------ users and roles

    public int userCount(Tx tx) {
        Handle h = handle(tx);
        return h.createQuery("SELECT COUNT(*) FROM users").mapTo(Integer.class).one();
    }

    public boolean userExists(Tx tx, String name) {
        Handle h = handle(tx);
        return h.createQuery("SELECT COUNT(*) FROM users WHERE name = :n").bind("n", name).mapTo(Integer.class).one() > 0;
    }

    public boolean userExists(String name) {
        return jdbi.withHandle(h -> userExists(tx(h), name));
    }

    public void insertUser(Tx tx, String name, Instant now) {
        Handle h = handle(tx);
        h.createUpdate("INSERT INTO users (name, created_at, disabled) VALUES (:n, :now, FALSE)").bind("n", name)
                .bind("now", now.toEpochMilli()).execute();
    }

    public void setDisabled(String name, boolean disabled) {
        jdbi.useTransaction(h -> h.createUpdate("UPDATE users SET disabled = :d WHERE name = :n").bind("d", disabled).bind("n", name).execute());
    }

    /** The user with their roles; empty for an unknown user. */
    public Optional<UserRow> user(Tx tx, String name) {
        Handle h = handle(tx);
        Optional<Boolean> disabled = h.createQuery("SELECT disabled FROM users WHERE name = :n").bind("n", name).mapTo(Boolean.class).findOne();
        if (disabled.isEmpty()) return Optional.empty();
        Map<String, Set<Role>> roles = new HashMap<>();
        h.createQuery("SELECT service, role FROM role_bindings WHERE user_name = :n").bind("n", name).mapToMap()
                .forEach(m -> roles.computeIfAbsent((String) m.get("service"), k -> new HashSet<>()).add(Role.valueOf((String) m.get("role"))));
        return Optional.of(new UserRow(disabled.get(), roles));
    }

    /** Adds the binding unless it exists. */
    public void grant(Tx tx, String user, String service, Role role) {
        Handle h = handle(tx);
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
    public List<AuthService.UserInfo> users() {
        return jdbi.withHandle(h -> {
            List<AuthService.UserInfo> out = new ArrayList<>();
            for (UserHead u : h.createQuery("SELECT name, created_at, disabled FROM users ORDER BY name")
                    .map((rs, c) -> new UserHead(rs.getString("name"), instant(rs, "created_at"), rs.getBoolean("disabled"))).list()) {
                List<AuthService.RoleBinding> roles = h.createQuery("SELECT service, role FROM role_bindings WHERE user_name = :n "
                                + "ORDER BY service, role").bind("n", u.name())
                        .map((rs, c) -> new AuthService.RoleBinding(rs.getString("service"), Role.valueOf(rs.getString("role")))).list();
                out.add(new AuthService.UserInfo(u.name(), u.createdAt(), u.disabled(), roles));
            }
            return out;
        });
    }

    private record UserHead(String name, Instant createdAt, boolean disabled) {}

    // ------------------------------------------------------------------ tokens

    /** Stores a token's hash; returns its id. */
    public String insertToken(Tx tx, String token, String kind, String user, String name, String service, String env, String host,
                              String by, Instant now, Instant expires) {
        Handle h = handle(tx);
        String id = UUID.randomUUID().toString();
        h.createUpdate("INSERT INTO tokens (id, hash, kind, user_name, name, service, environment, host, created_by, created_at, expires_at) "
                        + "VALUES (:id, :hash, :kind, :user, :name, :service, :env, :host, :by, :now, :expires)")
                .bind("id", id).bind("hash", Hashing.sha256(token)).bind("kind", kind).bind("user", user)
                .bind("name", name).bind("service", service).bind("env", env).bind("host", host).bind("by", by)
                .bind("now", now.toEpochMilli()).bind("expires", expires == null ? null : expires.toEpochMilli()).execute();
        return id;
    }

    public Optional<TokenRow> tokenByHash(Tx tx, String hash) {
        Handle h = handle(tx);
        return h.createQuery("SELECT id, kind, user_name, service, environment, host, expires_at, revoked_at, max_hosts FROM tokens "
                        + "WHERE hash = :hash")
                .bind("hash", hash)
                .map((rs, c) -> new TokenRow(rs.getString("id"), rs.getString("kind"), rs.getString("user_name"), rs.getString("service"),
                        rs.getString("environment"), rs.getString("host"), instant(rs, "expires_at"), instant(rs, "revoked_at"),
                        integer(rs, "max_hosts")))
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

    /** A session of the token {@code tokenId}: it ends when that token is revoked or expires. */
    public void insertSession(String id, String user, String csrf, Instant now, Instant expires, String tokenId) {
        jdbi.useTransaction(h -> h.createUpdate("INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at, token_id) "
                + "VALUES (:id, :u, :csrf, :now, :exp, :token)").bind("id", Hashing.sha256(id)).bind("u", user).bind("csrf", csrf)
                .bind("now", now.toEpochMilli()).bind("exp", expires.toEpochMilli()).bind("token", tokenId).execute());
    }

    /** Sets how many hosts an enrolment token may register. */
    public void limitHosts(String tokenId, int maxHosts) {
        jdbi.useTransaction(h -> h.createUpdate("UPDATE tokens SET max_hosts = :m WHERE id = :id").bind("m", maxHosts).bind("id", tokenId)
                .execute());
    }

    /** The versions of a service someone approved, newest first. */
    public List<Integer> approvedVersions(String service) {
        return jdbi.withHandle(h -> h.createQuery("SELECT DISTINCT version FROM approvals WHERE service = :s ORDER BY version DESC")
                .bind("s", service).mapTo(Integer.class).list());
    }

    public Optional<SessionRow> session(Tx tx, String id) {
        Handle h = handle(tx);
        // a session lives only as long as the token it signed in with: revoking or expiring the token ends it too
        return h.createQuery("SELECT s.user_name, s.csrf, s.expires_at FROM sessions s JOIN tokens t ON t.id = s.token_id "
                        + "WHERE s.id_hash = :id AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > :now)")
                .bind("id", Hashing.sha256(id)).bind("now", System.currentTimeMillis())
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
