package dev.rollguard.storage;

import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 25 (packaging): a database the server makes is its owner's alone, whatever the umask of whoever started it. */
class DatabaseFileModeTest {
    private final Path dir = TestServer.tempDir();

    @AfterEach
    void cleanUp() {
        TreeLoader.deleteRecursively(dir);
    }

    @Test
    void aNewDatabaseAndItsWriteAheadLogAreOwnerOnly() throws Exception {
        Path file = dir.resolve("new.db");
        try (Database db = Database.sqlite(file)) {
            db.jdbi().useHandle(h -> h.execute("CREATE TABLE t (x INTEGER)"));
            db.jdbi().useHandle(h -> h.execute("INSERT INTO t VALUES (1)"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            for (String suffix : new String[]{"-wal", "-shm"}) {
                Path side = dir.resolve("new.db" + suffix);
                if (Files.exists(side)) assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(side))).as(suffix).isEqualTo("rw-------");
            }
        }
    }

    @Test
    void anExistingWorldReadableDatabaseLosesTheOthersBits() throws Exception {
        Path file = dir.resolve("old.db");
        Files.createFile(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (Database db = Database.sqlite(file)) {
            db.jdbi().useHandle(h -> h.execute("CREATE TABLE t (x INTEGER)"));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r-----");
    }
}
