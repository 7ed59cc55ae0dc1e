package dev.rollguard.storage;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.time.Clock;
import java.time.Duration;

/**
 * Named leases in the database: of several servers, the one holding a lease does that duty, renewing it as it
 * goes; when it dies, the lease expires and another server takes it over. On a single server it is always held.
 */
public final class Leases {
    private final Jdbi jdbi;
    private final Clock clock;
    private final String holder;

    public Leases(Jdbi jdbi, Clock clock, String holder) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.holder = holder;
    }

    public String holder() { return holder; }

    /** Takes or renews the lease for {@code ttl}; true if this server holds it now. */
    public boolean hold(String name, Duration ttl) {
        long now = clock.millis();
        long until = now + ttl.toMillis();
        try {
            return jdbi.inTransaction(h -> {
                int n = h.createUpdate("UPDATE leases SET holder = :me, expires_at = :until WHERE name = :n AND (holder = :me OR expires_at < :now)")
                        .bind("me", holder).bind("until", until).bind("n", name).bind("now", now).execute();
                if (n == 1) return true;
                if (h.createQuery("SELECT COUNT(*) FROM leases WHERE name = :n").bind("n", name).mapTo(Integer.class).one() > 0) return false;
                h.createUpdate("INSERT INTO leases (name, holder, expires_at) VALUES (:n, :me, :until)").bind("n", name).bind("me", holder)
                        .bind("until", until).execute();
                return true;
            });
        } catch (UnableToExecuteStatementException e) {
            // another server inserted it first
            return false;
        }
    }

    /** Gives a lease up at once (a clean shutdown), so another server need not wait for it to expire. */
    public void release(String name) {
        try {
            jdbi.useTransaction(h -> h.createUpdate("UPDATE leases SET expires_at = 0 WHERE name = :n AND holder = :me").bind("n", name)
                    .bind("me", holder).execute());
        } catch (RuntimeException e) {
            // storage is going away: the lease expires by itself
        }
    }
}
