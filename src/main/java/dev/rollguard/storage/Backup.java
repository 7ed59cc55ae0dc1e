package dev.rollguard.storage;

import dev.rollguard.Problem;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A consistent copy of a SQLite database while the server runs: {@code VACUUM INTO} reads one snapshot and writes a
 * compact new file, so the copy holds the live rows only (no free pages, no WAL) and secrets in it stay sealed. The
 * keys are not in it, on purpose: a backup is only readable with the key files kept apart from it.
 */
public final class Backup {
    private Backup() {}

    /** Writes the backup of {@code database} to {@code target} (mode 0600, which must not exist yet); returns its size. */
    public static long sqlite(Path database, Path target) {
        if (!Files.isRegularFile(database)) throw new Problem(400, "no_database", "no SQLite database at " + database);
        try {
            Path parent = target.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            // an empty file is accepted by VACUUM INTO: made first so the copy is never readable by others
            Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            throw new Problem(409, "backup_exists", "the backup file " + target + " exists already: choose a new name");
        } catch (IOException e) {
            throw new Problem(500, "backup_failed", "cannot create " + target + ": " + e.getMessage());
        }
        // read-only and without the server's pool or migrations: the backup never changes the database it copies
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + database.toAbsolutePath() + "?mode=ro&busy_timeout=15000");
             PreparedStatement vacuum = c.prepareStatement("VACUUM INTO ?")) {
            vacuum.setString(1, target.toAbsolutePath().toString());
            vacuum.execute();
            return Files.size(target);
        } catch (SQLException | IOException e) {
            try {
                Files.deleteIfExists(target);
            } catch (IOException ignored) {
                // the message below names the file
            }
            throw new Problem(500, "backup_failed", "backup of " + database + " to " + target + " failed: " + e.getMessage());
        }
    }
}
