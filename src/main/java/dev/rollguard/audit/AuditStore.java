package dev.rollguard.audit;

import dev.rollguard.storage.Rows;
import dev.rollguard.storage.Store;
import dev.rollguard.storage.Tx;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The audit table: records are only ever appended, numbered one after the other. */
public final class AuditStore extends Store {
    private static final String COLUMNS = "seq, at, actor, source, action, target, status, before_state, after_state, prev_hash, hash";

    /** The newest record's number and hash: what the next record follows. */
    public record Head(long seq, String hash) {}

    public AuditStore(Jdbi jdbi) {
        super(jdbi);
    }

    /** Whether a failed append lost the race for the next number to another writer (it may read the new head and retry). */
    public static boolean lostRace(RuntimeException e) {
        return e instanceof UnableToExecuteStatementException;
    }

    /** The head, with the table's numbering lock held for the rest of the transaction. */
    public Optional<Head> lockHead(Tx tx) {
        Handle h = handle(tx);
        Rows.numbering(h, "audit");
        return h.createQuery("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
                .map((rs, c) -> new Head(rs.getLong("seq"), rs.getString("hash"))).findOne();
    }

    public long count() {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM audit").mapTo(Long.class).one());
    }

    public void insert(Tx tx, AuditLog.Entry e) {
        handle(tx).createUpdate("INSERT INTO audit (" + COLUMNS + ") "
                        + "VALUES (:seq, :at, :actor, :source, :action, :target, :status, :before, :after, :prev, :hash)")
                .bind("seq", e.seq()).bind("at", e.at().toEpochMilli()).bind("actor", e.actor()).bind("source", e.source())
                .bind("action", e.action()).bind("target", e.target()).bind("status", e.status()).bind("before", e.before())
                .bind("after", e.after()).bind("prev", e.prevHash()).bind("hash", e.hash()).execute();
    }

    public List<AuditLog.Entry> entries(long afterSeq, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM audit WHERE seq > :after ORDER BY seq LIMIT :limit")
                .bind("after", afterSeq).bind("limit", limit)
                .map((rs, c) -> new AuditLog.Entry(rs.getLong("seq"), Instant.ofEpochMilli(rs.getLong("at")), rs.getString("actor"),
                        rs.getString("source"), rs.getString("action"), rs.getString("target"), rs.getInt("status"),
                        rs.getString("before_state"), rs.getString("after_state"), rs.getString("prev_hash"), rs.getString("hash")))
                .list());
    }
}
