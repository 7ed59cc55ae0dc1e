package dev.rollguard.secrets;

import dev.rollguard.storage.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Key rotation without HTTP: on a SQLite file and a key file set up as the server sets them up. */
class SecretsServiceTest {
    @TempDir
    Path dir;

    private Database db;
    private SecretsStore store;
    private SecretsService secrets;
    private final AtomicInteger scrubs = new AtomicInteger();

    /** A store keeping {@code sealed} envelopes of older keys, resealing them all when asked; {@code inText}: some stay. */
    private static SecretsService.Resealer resealer(String name, AtomicInteger sealed, boolean inText) {
        return new SecretsService.Resealer() {
            public String name() { return name; }

            public int resealWithCurrentKey() { return sealed.getAndSet(0); }

            public boolean keepsOlderEnvelopes() { return inText; }
        };
    }

    @BeforeEach
    void open() {
        db = Database.sqlite(dir.resolve("rollguard.db"));
        store = new SecretsStore(db.jdbi());
        AesGcmSealer sealer = SecretsKeys.open(dir.resolve("rollguard.db").toString(), dir.resolve("rollguard.db.secrets-key"), null, store,
                Clock.systemUTC());
        secrets = new SecretsService(sealer, store, Clock.systemUTC(), scrubs::incrementAndGet);
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void rotatingSealsEverythingAgainScrubsAndRetiresTheOldKey() {
        String before = secrets.describe().currentKey();
        String envelope = secrets.sealer().seal("hunter2".getBytes(StandardCharsets.UTF_8));
        AtomicInteger files = new AtomicInteger(3);
        secrets.resealWith(resealer("files", files, false));

        SecretsService.Rotation r = secrets.rotate();
        assertThat(r.keyId()).isNotEqualTo(before);
        assertThat(r.keys()).containsExactly(before, r.keyId());
        assertThat(r.resealed()).containsEntry("files", 3);
        assertThat(scrubs).as("old plain pages scrubbed once").hasValue(1);
        assertThat(store.keys()).filteredOn(k -> k.id().equals(before)).singleElement().satisfies(k -> assertThat(k.retiredAt()).isNotNull());
        assertThat(new String(secrets.sealer().open(envelope), StandardCharsets.UTF_8)).as("the old key still opens").isEqualTo("hunter2");

        SecretsService.RingView view = secrets.describe();
        assertThat(view.currentKey()).isEqualTo(r.keyId());
        assertThat(view.source()).isEqualTo(dir.resolve("rollguard.db.secrets-key").toAbsolutePath().toString());
        assertThat(secrets.resealOlder()).containsEntry("files", 0);
        assertThat(scrubs).as("nothing resealed, nothing to scrub").hasValue(1);
    }

    @Test
    void anOlderKeyAStoreStillNeedsIsNotRetired() {
        String before = secrets.describe().currentKey();
        secrets.resealWith(resealer("values", new AtomicInteger(0), true));
        secrets.rotate();
        assertThat(store.keys()).filteredOn(k -> k.id().equals(before)).singleElement().satisfies(k -> assertThat(k.retiredAt()).isNull());
        assertThat(scrubs).hasValue(0);
    }
}
