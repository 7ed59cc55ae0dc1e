package dev.rollguard.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Whether the database can take writes: failing while its file system (SQLite) has almost no space left, or for a
 * while after a write failed because storage was full (SQLite's SQLITE_FULL, PostgreSQL's disk_full). Requests that
 * meet a full disk answer 503 {@code storage_full} and the health check says so, instead of 500s and "ok".
 */
public final class StorageHealth {
    /** Below this much free space a SQLite database cannot be trusted to take the next write (its WAL grows). */
    static final long MIN_FREE_BYTES = 1L << 20;
    private static final Duration REMEMBER = Duration.ofSeconds(30);
    private static final int SQLITE_FULL = 13;
    private static final int SQLITE_BUSY = 5;

    public enum Status { OK, FULL }

    private final Path directory;
    private final Clock clock;
    private volatile Instant lastFull;

    /** {@code directory}: where a SQLite database lives (null for PostgreSQL, whose disk the server cannot see). */
    public StorageHealth(Path directory, Clock clock) {
        this.directory = directory;
        this.clock = clock;
    }

    /** Whether a failure was the database's storage being full. */
    public static boolean isFull(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLException e) {
                if ("53100".equals(e.getSQLState())) return true;
                if (e.getErrorCode() == SQLITE_FULL || String.valueOf(e.getMessage()).contains("SQLITE_FULL")) return true;
            }
            if (c instanceof IOException e && String.valueOf(e.getMessage()).contains("No space left on device")) return true;
        }
        return false;
    }

    /**
     * Whether a failure was the database being busy rather than broken: no pooled connection came free in time (a replica
     * taking 10,000 upgrades and reports at once), or SQLite's writer lock was held past its wait. Answered 503 with
     * Retry-After: the request did nothing, and the same request a little later succeeds.
     */
    public static boolean isBusy(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLTransientConnectionException) return true;
            if (c instanceof SQLException e && (e.getErrorCode() == SQLITE_BUSY || String.valueOf(e.getMessage()).contains("SQLITE_BUSY"))) return true;
        }
        return false;
    }

    public void failed() {
        lastFull = clock.instant();
    }

    public Status status() {
        if (directory != null) {
            try {
                if (Files.getFileStore(directory).getUsableSpace() < MIN_FREE_BYTES) return Status.FULL;
            } catch (IOException e) {
                return Status.FULL;
            }
        }
        Instant last = lastFull;
        return last != null && Duration.between(last, clock.instant()).compareTo(REMEMBER) < 0 ? Status.FULL : Status.OK;
    }
}
