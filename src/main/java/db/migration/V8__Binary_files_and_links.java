package db.migration;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * File contents become bytes (binary files are versioned like text) and a version's entries gain a kind: a regular
 * file, or a symbolic link whose target is stored, content-addressed, as the blob's bytes. Written in Java because
 * turning text into bytes has no portable SQL (PostgreSQL's {@code ::bytea} reads backslash escapes, SQLite's CAST
 * does not); the blob column's type is the one each database has for bytes.
 */
public class V8__Binary_files_and_links extends BaseJavaMigration {
    private static final int PAGE = 500;

    @Override
    public void migrate(Context context) throws SQLException {
        Connection c = context.getConnection();
        String bytesType = "SQLite".equalsIgnoreCase(c.getMetaData().getDatabaseProductName()) ? "BLOB" : "BYTEA";
        try (Statement s = c.createStatement()) {
            // every row gets its bytes just below and every insert writes them: the default only satisfies NOT NULL
            s.execute("ALTER TABLE blobs ADD COLUMN data " + bytesType + " NOT NULL DEFAULT ''");
        }
        String after = "";
        while (true) {
            Map<String, String> page = new LinkedHashMap<>();
            try (PreparedStatement q = c.prepareStatement("SELECT hash, content FROM blobs WHERE hash > ? ORDER BY hash LIMIT " + PAGE)) {
                q.setString(1, after);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) page.put(rs.getString(1), rs.getString(2));
                }
            }
            if (page.isEmpty()) break;
            try (PreparedStatement u = c.prepareStatement("UPDATE blobs SET data = ? WHERE hash = ?")) {
                for (var e : page.entrySet()) {
                    u.setBytes(1, e.getValue().getBytes(StandardCharsets.UTF_8));
                    u.setString(2, e.getKey());
                    u.addBatch();
                    after = e.getKey();
                }
                u.executeBatch();
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute("ALTER TABLE blobs DROP COLUMN content");
            s.execute("ALTER TABLE version_files ADD COLUMN kind VARCHAR(8) NOT NULL DEFAULT 'file'");
        }
    }
}
