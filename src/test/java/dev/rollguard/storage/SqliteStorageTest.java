package dev.rollguard.storage;

import dev.rollguard.config.Limits;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.secrets.TestSealers;
import dev.rollguard.validate.Validation;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.ConfigStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class SqliteStorageTest {
    @TempDir
    Path dir;

    private static ConfigService service(Database db) {
        return new ConfigService(new ConfigStore(db.jdbi(), TestSealers.fresh()), Validation.builtIn(), Limits.DEFAULT, Clock.systemUTC());
    }

    @Test
    void usesWalAndSurvivesReopen() {
        Path file = dir.resolve("sub/rg.db");
        try (Database db = Database.sqlite(file)) {
            String mode = db.jdbi().withHandle(h -> h.createQuery("PRAGMA journal_mode").mapTo(String.class).one());
            assertThat(mode).isEqualTo("wal");
            ConfigService s = service(db);
            s.putService("svc", ServiceSpec.defaults());
            s.push("svc", Map.of("a.conf", "one\n"), "alice", "first", null, null);
        }
        try (Database db = Database.sqlite(file)) {
            ConfigService s = service(db);
            assertThat(s.versions("svc", 10)).singleElement().satisfies(v -> assertThat(v.message()).isEqualTo("first"));
            assertThat(s.tree("svc", 1).content("a.conf")).isEqualTo("one\n");
        }
    }

    @Test
    void contentIsStoredOncePerHash() {
        try (Database db = Database.sqlite(dir.resolve("rg.db"))) {
            ConfigService s = service(db);
            s.putService("svc", ServiceSpec.defaults());
            s.push("svc", Map.of("a.conf", "same\n", "b.conf", "same\n", "c.conf", "v1\n"), "a", "m1", null, null);
            s.push("svc", Map.of("a.conf", "same\n", "b.conf", "same\n", "c.conf", "v2\n"), "a", "m2", null, null);
            long blobs = db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM blobs").mapTo(Long.class).one());
            assertThat(blobs).isEqualTo(3);
            assertThat(s.tree("svc", 1).content("c.conf")).isEqualTo("v1\n");
            assertThat(s.tree("svc", 2).content("c.conf")).isEqualTo("v2\n");
            assertThat(s.version("svc", 2).parent()).isEqualTo(1);
        }
    }

    @Test
    void concurrentPushesGetDistinctNumbersAndNoneIsLost() throws Exception {
        try (Database db = Database.sqlite(dir.resolve("rg.db"))) {
            ConfigService s = service(db);
            s.putService("svc", ServiceSpec.defaults());
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                int n = i;
                futures.add(pool.submit(() -> s.push("svc", Map.of("a.conf", "value " + n + "\n"), "w", "m" + n, null, null)
                        .version().number()));
            }
            List<Integer> numbers = new ArrayList<>();
            for (Future<Integer> f : futures) numbers.add(f.get());
            pool.shutdown();
            assertThat(numbers).doesNotHaveDuplicates().hasSize(30);
            assertThat(s.versions("svc", 100)).hasSize(30);
        }
    }
}
