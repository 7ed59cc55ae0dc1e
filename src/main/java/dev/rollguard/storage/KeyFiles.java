package dev.rollguard.storage;

import java.nio.file.Path;

/**
 * Where a database's two key files live, outside the database: the audit chain's key and the secrets key ring. Next to
 * a SQLite file ({@code <db>.audit-key}, {@code <db>.secrets-key}) so a data directory carries its own; a PostgreSQL
 * database has no directory of its own, so its keys go to a key directory: the one given ({@code --key-dir},
 * {@code ROLLGUARD_KEY_DIR}), else {@code data/} under the working directory. A key directory given for SQLite wins too:
 * an operator may keep keys on another volume than the database and its backups.
 */
public record KeyFiles(Path audit, Path secrets) {
    /** {@code keyDir}: the directory given, or null for the defaults above. */
    public static KeyFiles of(String database, Path keyDir) {
        if (keyDir != null) return new KeyFiles(keyDir.resolve("audit.key"), keyDir.resolve("secrets.key"));
        if (isPostgres(database)) return of(database, Path.of("data"));
        String file = database.startsWith("sqlite:") ? database.substring(7) : database;
        return new KeyFiles(Path.of(file + ".audit-key"), Path.of(file + ".secrets-key"));
    }

    public static boolean isPostgres(String database) {
        return database.startsWith("postgres") || database.startsWith("jdbc:postgresql:");
    }
}
