package dev.rollguard.storage;

import dev.rollguard.UsesPostgres;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.secrets.TestSealers;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.versions.ConfigStore;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes and links in the blob store, on SQLite and PostgreSQL alike: every byte value round-trips, a link comes back
 * a link, and text stored before V8 (as TEXT) comes back byte for byte after the migration.
 */
@UsesPostgres
class BinaryStorageTest {
    @TempDir
    Path dir;

    /** Backslashes and octets that PostgreSQL's text-to-bytea cast would read as escapes, and non-ASCII text. */
    private static final String TRICKY_TEXT = "path = C:\\\\x00\\\\\\\\srv\\\\x41 # é ü 日本 \\\\000\n";

    private static ConfigTree sample() {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) all[i] = (byte) i;
        Map<String, TreeEntry> e = new LinkedHashMap<>();
        e.put("img/all-bytes.bin", TreeEntry.file(all));
        e.put("tricky.conf", TreeEntry.text(TRICKY_TEXT));
        e.put("empty.txt", TreeEntry.file(new byte[0]));
        e.put("wp-config.php", TreeEntry.link("wp-config.php", "/etc/wordpress/config-localhost.php"));
        // a link whose target equals a file's content shares its blob, yet stays a link
        e.put("same-bytes", TreeEntry.link("same-bytes", TRICKY_TEXT.strip()));
        e.put("same-bytes.txt", TreeEntry.text(TRICKY_TEXT.strip()));
        return ConfigTree.ofEntries(e, Limits.DEFAULT);
    }

    private static void roundTrip(Database db) {
        ConfigStore store = new ConfigStore(db.jdbi(), TestSealers.fresh());
        store.saveService("wp", ServiceSpec.defaults(), Instant.now());
        ConfigTree tree = sample();
        ValidationReport ok = new ValidationReport(List.of(), List.of(), false, List.of(), 0);
        int n = store.insertVersion("wp", null, "alice", "m", Instant.now(), tree, ok, null, null).number();
        ConfigTree back = store.tree("wp", n);
        assertThat(back.hashes()).isEqualTo(tree.hashes());
        assertThat(back.treeHash()).isEqualTo(tree.treeHash());
        assertThat(back.links()).isEqualTo(tree.links());
        assertThat(((TreeEntry.File) back.entry("img/all-bytes.bin")).bytes()).isEqualTo(((TreeEntry.File) tree.entry("img/all-bytes.bin")).bytes());
        assertThat(back.content("tricky.conf")).isEqualTo(TRICKY_TEXT);
        assertThat(store.version("wp", n).orElseThrow().totalBytes()).isEqualTo(256 + utf8(TRICKY_TEXT) + utf8(TRICKY_TEXT.strip()));
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** A database at V5 (before bytes) holding one version of text, then opened (migrated) by the current code. */
    private static void migrates(String jdbcUrl, String user, String password, String location) throws Exception {
        Flyway.configure().dataSource(jdbcUrl, user, password).locations("classpath:db/migration").target("5").load().migrate();
        try (Connection c = DriverManager.getConnection(jdbcUrl, user, password)) {
            c.createStatement().execute("INSERT INTO services (name, spec, created_at, updated_at) VALUES ('wp', '{}', 0, 0)");
            c.createStatement().execute("INSERT INTO versions (service, number, author, message, created_at, tree_hash, file_count, "
                    + "total_bytes, releasable, high_risk, report) VALUES ('wp', 1, 'a', 'm', 0, 'x', 1, 1, TRUE, FALSE, "
                    + "'{\"findings\":[],\"notices\":[],\"highRisk\":false,\"riskReasons\":[],\"durationMillis\":0}')");
            ConfigTree old = ConfigTree.of(Map.of("tricky.conf", TRICKY_TEXT));
            try (PreparedStatement p = c.prepareStatement("INSERT INTO blobs (hash, size, content) VALUES (?, ?, ?)")) {
                p.setString(1, old.hash("tricky.conf"));
                p.setLong(2, TRICKY_TEXT.length());
                p.setString(3, TRICKY_TEXT);
                p.execute();
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO version_files (service, number, path, hash) VALUES ('wp', 1, ?, ?)")) {
                p.setString(1, "tricky.conf");
                p.setString(2, old.hash("tricky.conf"));
                p.execute();
            }
        }
        try (Database db = Database.open(location)) {
            ConfigTree back = new ConfigStore(db.jdbi(), TestSealers.fresh()).tree("wp", 1);
            assertThat(back.content("tricky.conf")).isEqualTo(TRICKY_TEXT);
            assertThat(back.hash("tricky.conf")).isEqualTo(ConfigTree.of(Map.of("tricky.conf", TRICKY_TEXT)).hash("tricky.conf"));
            roundTrip(dbWithSecondService(db));
        }
    }

    /** The round trip again on the migrated database (its service name differs from the migrated one's). */
    private static Database dbWithSecondService(Database db) {
        db.jdbi().useHandle(h -> h.execute("DELETE FROM version_files"));
        db.jdbi().useHandle(h -> h.execute("DELETE FROM versions"));
        return db;
    }

    @Test
    void sqliteKeepsBytesAndLinks() {
        try (Database db = Database.sqlite(dir.resolve("a.db"))) {
            roundTrip(db);
        }
    }

    @Test
    void sqliteMigratesTextBlobsToBytes() throws Exception {
        Path file = dir.resolve("old.db");
        migrates("jdbc:sqlite:" + file, null, null, file.toString());
    }

    @Test
    void postgresKeepsBytesAndLinksAndMigratesTextBlobs() throws Exception {
        try (ScratchPostgres pg = ScratchPostgres.create()) {
            try (Database db = Database.open(pg.url)) {
                roundTrip(db);
            }
        }
        try (ScratchPostgres pg = ScratchPostgres.create()) {
            URI u = URI.create(pg.url);
            String[] user = u.getUserInfo().split(":", 2);
            migrates("jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath(), user[0], user[1], pg.url);
        }
    }
}
