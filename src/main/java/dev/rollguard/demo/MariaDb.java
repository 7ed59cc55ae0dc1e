package dev.rollguard.demo;

import dev.rollguard.Processes;
import dev.rollguard.config.TreeLoader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A private MariaDB server the demo owns: a fresh data directory made by {@code mariadb-install-db} in a temporary
 * directory, {@code mariadbd} on a unix socket there (no TCP), run as the invoking user and stopped by PID. The system's
 * own MariaDB service, if any, is never touched: no shared config file is read ({@code --no-defaults}).
 */
public final class MariaDb implements AutoCloseable {
    public static final String SERVER = "/usr/sbin/mariadbd";
    public static final String INSTALL_DB = "/usr/bin/mariadb-install-db";
    public static final String CLIENT = "/usr/bin/mariadb";
    /** What installs the parts when {@link #missing()} names one. */
    public static final String APT_INSTALL = "apt-get install mariadb-server php-mysql";

    private final Path dir;
    private final ExitHook cleanup = new ExitHook("mariadb-cleanup", this::stop);
    private volatile Process process;

    private MariaDb(Path dir) {
        this.dir = dir;
    }

    /** Is a MariaDB server here, and PHP's MySQL driver for mod_php? Empty if so, else what is missing. */
    public static Optional<String> missing() {
        for (String b : List.of(SERVER, INSTALL_DB, CLIENT)) {
            if (!Files.isExecutable(Path.of(b))) return Optional.of(b + " is not installed (Debian package mariadb-server)");
        }
        if (!phpMysqlEnabled()) return Optional.of("PHP's mysqli extension is not enabled for Apache (Debian package php-mysql)");
        return Optional.empty();
    }

    private static boolean phpMysqlEnabled() {
        try (var versions = Files.list(Path.of("/etc/php"))) {
            for (Path v : versions.toList()) {
                Path confd = v.resolve("apache2/conf.d");
                if (!Files.isDirectory(confd)) continue;
                try (var s = Files.list(confd)) {
                    if (s.anyMatch(p -> p.getFileName().toString().endsWith("-mysqli.ini"))) return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /**
     * Installs a data directory, starts the server and creates {@code database} with a user allowed only on it (by
     * password, over the socket: Apache's workers may run as another user than the demo).
     */
    public static MariaDb start(String database, String user, String password, Duration timeout) throws IOException, InterruptedException {
        // a short path: a unix socket's name must stay under 108 bytes, which a deep demo directory would not
        Path dir = Files.createTempDirectory("rollguard-mariadb-");
        // Apache's workers (www-data when the demo runs as root) must reach the socket
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        MariaDb db = new MariaDb(dir);
        try {
            db.install(timeout);
            db.launch(timeout);
            db.sqlOrThrow("CREATE DATABASE `" + database + "`; CREATE USER '" + user + "'@'localhost' IDENTIFIED BY '" + password + "'; "
                    + "GRANT ALL ON `" + database + "`.* TO '" + user + "'@'localhost';", timeout);
            return db;
        } catch (IOException | InterruptedException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private void install(Duration timeout) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(INSTALL_DB, "--no-defaults", "--datadir=" + dir.resolve("data"), "--skip-test-db",
                "--auth-root-authentication-method=socket", "--user=" + System.getProperty("user.name")));
        Processes.Result r = Processes.run(cmd, dir, Map.of(), timeout);
        if (!r.ok()) throw new IOException("mariadb-install-db failed (" + (r.timedOut() ? "timed out" : "exit " + r.exitCode()) + "): "
                + r.output().strip());
    }

    private void launch(Duration timeout) throws IOException, InterruptedException {
        List<String> cmd = List.of(SERVER, "--no-defaults", "--datadir=" + dir.resolve("data"), "--socket=" + socket(),
                "--skip-networking", "--pid-file=" + dir.resolve("mariadbd.pid"), "--log-error=" + log(),
                "--user=" + System.getProperty("user.name"), "--innodb-buffer-pool-size=32M", "--skip-log-bin");
        process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
        cleanup.arm();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) throw new IOException("mariadbd exited (" + process.exitValue() + "); see " + log());
            if (Files.exists(socket()) && sql("SELECT 1", Duration.ofSeconds(10)).ok()) return;
            if (System.nanoTime() > deadline) throw new IOException("mariadbd did not answer within " + timeout.toSeconds() + " s; see " + log());
            Thread.sleep(100);
        }
    }

    private Processes.Result sql(String statements, Duration timeout) {
        return Processes.run(List.of(CLIENT, "--no-defaults", "--socket=" + socket(), "-uroot", "-e", statements), dir, Map.of(), timeout);
    }

    private void sqlOrThrow(String statements, Duration timeout) throws IOException {
        Processes.Result r = sql(statements, timeout);
        if (!r.ok()) throw new IOException("mariadb: " + r.output().strip());
    }

    public Path socket() { return dir.resolve("mysqld.sock"); }

    public Path log() { return dir.resolve("mariadbd.log"); }

    /** WordPress's DB_HOST for this server: the socket. */
    public String wordpressHost() { return "localhost:" + socket(); }

    /** Stops the server (SIGTERM, then SIGKILL after 30 s) and deletes its data. */
    public void stop() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        process = null;
        TreeLoader.deleteRecursively(dir);
    }

    @Override
    public void close() {
        stop();
        cleanup.disarm();
    }
}
