package dev.rollguard.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.rollguard.Problem;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * The database: SQLite in a local file (default; WAL, busy timeout, immediate write transactions so
 * concurrent writers queue instead of failing) or PostgreSQL for several server replicas. Same schema,
 * migrated by Flyway at start.
 */
public final class Database implements Transactions, AutoCloseable {
    public enum Kind { SQLITE, POSTGRESQL }

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final Kind kind;
    private final String description;

    private Database(HikariDataSource ds, Kind kind, String description) {
        this.dataSource = ds;
        this.kind = kind;
        this.description = description;
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        this.jdbi = Jdbi.create(ds);
        if (kind == Kind.SQLITE) jdbi.setTransactionHandler(new SerializedWrites());
    }

    /**
     * How long a caller waits for a free connection. Past it the request is answered 503 database_busy with a Retry-After,
     * which an agent honours: a hung request tells a fleet nothing, a quick 503 spreads its retries (Hikari's own default
     * is 30 s).
     */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

    /** {@code location} is a file path for SQLite, or {@code postgresql://user:pass@host:port/db}. */
    public static Database open(String location) {
        return open(location, DEFAULT_WAIT);
    }

    /** As {@link #open(String)}; {@code wait}: how long a caller waits for a free connection. */
    public static Database open(String location, Duration wait) {
        if (location.startsWith("postgresql://") || location.startsWith("postgres://") || location.startsWith("jdbc:postgresql:")) {
            return postgres(location, wait);
        }
        return sqlite(Path.of(location.startsWith("sqlite:") ? location.substring(7) : location), wait);
    }

    public static Database sqlite(Path file) {
        return sqlite(file, DEFAULT_WAIT);
    }

    private static Database sqlite(Path file, Duration wait) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            ownerOnly(file);
        } catch (Exception e) {
            throw new Problem(500, "storage_unavailable", "cannot create database directory for " + file + ": " + e.getMessage());
        }
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl("jdbc:sqlite:" + file.toAbsolutePath());
        c.addDataSourceProperty("journal_mode", "WAL");
        c.addDataSourceProperty("synchronous", "NORMAL");
        c.addDataSourceProperty("busy_timeout", "15000");
        c.addDataSourceProperty("foreign_keys", "true");
        c.addDataSourceProperty("transaction_mode", "IMMEDIATE");
        // what a write replaces or deletes is overwritten with zeros, not left in free space (see scrub)
        c.addDataSourceProperty("secure_delete", "true");
        c.setMaximumPoolSize(8);
        c.setConnectionTimeout(wait.toMillis());
        c.setPoolName("rollguard-sqlite");
        return new Database(new HikariDataSource(c), Kind.SQLITE, "sqlite:" + file.toAbsolutePath());
    }

    /**
     * The database holds sealed secrets, tokens' hashes and the audit log: a new file is made 0600 before SQLite opens
     * it (SQLite gives its -wal and -shm files the database file's mode), whatever the umask of whoever started the
     * server; an existing file that everyone may read loses the others' bits (the group's are the operator's choice).
     */
    static void ownerOnly(Path file) throws IOException {
        if (!file.getFileSystem().supportedFileAttributeViews().contains("posix")) return;
        if (!Files.exists(file)) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException raced) {
                // made by another server starting at the same moment: checked below like any existing file
            }
        }
        Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(file));
        if (perms.removeAll(EnumSet.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE))) {
            Files.setPosixFilePermissions(file, perms);
        }
    }

    private static Database postgres(String location, Duration wait) {
        HikariConfig c = new HikariConfig();
        if (location.startsWith("jdbc:")) {
            c.setJdbcUrl(location);
        } else {
            URI uri = URI.create(location);
            int port = uri.getPort() < 0 ? 5432 : uri.getPort();
            c.setJdbcUrl("jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getPath()
                    + (uri.getQuery() == null ? "" : "?" + uri.getQuery()));
            if (uri.getUserInfo() != null) {
                String[] ui = uri.getUserInfo().split(":", 2);
                c.setUsername(ui[0]);
                if (ui.length > 1) c.setPassword(ui[1]);
            }
        }
        c.setMaximumPoolSize(16);
        c.setPoolName("rollguard-pg");
        c.setConnectionTimeout(wait.toMillis());
        return new Database(new HikariDataSource(c), Kind.POSTGRESQL, c.getJdbcUrl());
    }

    /**
     * Leaves no copy of replaced bytes in the database's files: after plain-text rows were sealed in place, their old
     * pages may still sit in free space (written before secure_delete) and in the WAL. SQLite: VACUUM rewrites the file
     * and a truncating checkpoint empties the WAL. PostgreSQL: VACUUM FULL rewrites the table (its WAL archive, if the
     * operator keeps one, is out of reach: see the README).
     */
    public void scrub(String table) {
        if (!table.matches("[a-z_]+")) throw new IllegalArgumentException("not a table name: " + table);
        jdbi.useHandle(h -> {
            if (kind == Kind.SQLITE) {
                h.execute("VACUUM");
                h.createQuery("PRAGMA wal_checkpoint(TRUNCATE)").mapToMap().list();
            } else {
                h.execute("VACUUM FULL " + table);
            }
        });
    }

    @Override
    public <T> T inTransaction(Function<Tx, T> work) {
        return jdbi.inTransaction(h -> work.apply(new Tx(h)));
    }

    @Override
    public <T> T read(Function<Tx, T> work) {
        return jdbi.withHandle(h -> work.apply(new Tx(h)));
    }

    /** For stores (see {@link Store}) and migrations only. */
    public Jdbi jdbi() { return jdbi; }
    public DataSource dataSource() { return dataSource; }
    public Kind kind() { return kind; }
    public String description() { return description; }

    @Override
    public void close() {
        dataSource.close();
    }
}
