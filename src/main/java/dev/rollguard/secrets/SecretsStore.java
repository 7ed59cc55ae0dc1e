package dev.rollguard.secrets;

import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.util.List;

/** The {@code secrets_keys} table: which keys this database was served with, each with an envelope proving the key. */
public final class SecretsStore {
    public record RecordedKey(String id, String checkEnvelope, Instant createdAt) {}

    private final Jdbi jdbi;

    public SecretsStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public List<RecordedKey> keys() {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, check_envelope, created_at FROM secrets_keys ORDER BY created_at, id")
                .map((rs, ctx) -> new RecordedKey(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)))).list());
    }

    public void record(String id, String checkEnvelope, Instant now) {
        jdbi.useTransaction(h -> h.createUpdate("INSERT INTO secrets_keys (id, check_envelope, created_at) VALUES (:id, :c, :at) "
                        + "ON CONFLICT (id) DO NOTHING")
                .bind("id", id).bind("c", checkEnvelope).bind("at", now.toEpochMilli()).execute());
    }
}
