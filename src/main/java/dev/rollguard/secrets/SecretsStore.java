package dev.rollguard.secrets;

import dev.rollguard.storage.Rows;
import dev.rollguard.storage.Store;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.List;

/** The {@code secrets_keys} table: which keys this database was served with, each with an envelope proving the key. */
public final class SecretsStore extends Store {
    /** {@code retiredAt}: when nothing sealed with it remained (null: it may still have sealed something). */
    public record RecordedKey(String id, String checkEnvelope, Instant createdAt, Instant retiredAt) {}

    public SecretsStore(Jdbi jdbi) {
        super(jdbi);
    }

    public List<RecordedKey> keys() {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, check_envelope, created_at, retired_at FROM secrets_keys ORDER BY created_at, id")
                .map((rs, ctx) -> new RecordedKey(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)),
                        Rows.instant(rs, 4))).list());
    }

    public void record(String id, String checkEnvelope, Instant now) {
        jdbi.useTransaction(h -> h.createUpdate("INSERT INTO secrets_keys (id, check_envelope, created_at) VALUES (:id, :c, :at) "
                        + "ON CONFLICT (id) DO NOTHING")
                .bind("id", id).bind("c", checkEnvelope).bind("at", now.toEpochMilli()).execute());
    }

    /** Every key but {@code current} sealed nothing that remains: later starts do not need them. */
    public void retireAllBut(String current, Instant now) {
        jdbi.useTransaction(h -> h.createUpdate("UPDATE secrets_keys SET retired_at = :at WHERE id <> :id AND retired_at IS NULL")
                .bind("at", now.toEpochMilli()).bind("id", current).execute());
    }
}
