package dev.rollguard.storage;

import org.jdbi.v3.core.Handle;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** Nullable column readers shared by the stores (times are epoch milliseconds in every table). */
public final class Rows {
    private Rows() {}

    public static Integer integer(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    public static Instant instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    /**
     * Takes the right to number new rows of {@code sequence} (MAX + 1) until the transaction ends. Replicas on
     * PostgreSQL would otherwise pick the same number at once and one of them would fail on the primary key; SQLite has
     * one writer at a time already.
     */
    public static void numbering(Handle h, String sequence) {
        try {
            if (!"PostgreSQL".equals(h.getConnection().getMetaData().getDatabaseProductName())) return;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot tell the database's kind", e);
        }
        h.createQuery("SELECT pg_advisory_xact_lock(hashtext(:name))").bind("name", "rollguard." + sequence).mapToMap().one();
    }

    public static Integer integer(ResultSet rs, int column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    public static Instant instant(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }
}
