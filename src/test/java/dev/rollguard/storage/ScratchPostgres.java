package dev.rollguard.storage;

import dev.rollguard.TestServer;
import dev.rollguard.UsesPostgres;
import dev.rollguard.config.TreeLoader;

import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A fresh database on the test PostgreSQL (ROLLGUARD_TEST_POSTGRES, an admin URL), dropped afterwards. Skips
 * the test without one, unless ROLLGUARD_REQUIRE_POSTGRES=1 (CI), where its absence fails the test.
 */
final class ScratchPostgres implements AutoCloseable {
    final String adminUrl;
    final String name;
    /** The scratch database's URL, as {@code rollguard server --db} takes it. */
    final String url;
    /** Where the servers on it keep their key files (a PostgreSQL database has no directory of its own): deleted with it. */
    final Path keyDir = TestServer.tempDir();

    private ScratchPostgres(String adminUrl) throws Exception {
        this.adminUrl = adminUrl;
        this.name = "rg_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = connect(adminUrl)) {
            c.createStatement().execute("CREATE DATABASE " + name);
        }
        URI u = URI.create(adminUrl);
        this.url = "postgresql://" + u.getUserInfo() + "@" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + "/" + name;
    }

    static ScratchPostgres create() throws Exception {
        // a test on the cluster says so: it must never run beside PostgresTest's restart, which runs alone, after the
        // rest (RestartsPostgres, pom.xml)
        boolean tagged = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.anyMatch(f -> f.getDeclaringClass().isAnnotationPresent(UsesPostgres.class)));
        assertThat(tagged).as("a test on PostgreSQL is annotated @UsesPostgres").isTrue();
        String admin = System.getenv("ROLLGUARD_TEST_POSTGRES");
        if ("1".equals(System.getenv("ROLLGUARD_REQUIRE_POSTGRES"))) assertThat(admin).as("ROLLGUARD_TEST_POSTGRES").isNotBlank();
        else assumeTrue(admin != null && !admin.isBlank(), "no PostgreSQL for tests (ROLLGUARD_TEST_POSTGRES)");
        return new ScratchPostgres(admin);
    }

    static Connection connect(String url) throws Exception {
        URI u = URI.create(url);
        String[] user = u.getUserInfo().split(":", 2);
        return DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath(),
                user[0], user.length > 1 ? user[1] : null);
    }

    @Override
    public void close() throws Exception {
        try (Connection c = connect(adminUrl)) {
            c.createStatement().execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } finally {
            TreeLoader.deleteRecursively(keyDir);
        }
    }
}
