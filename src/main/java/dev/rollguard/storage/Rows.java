package dev.rollguard.storage;

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

    public static Instant instant(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }
}
