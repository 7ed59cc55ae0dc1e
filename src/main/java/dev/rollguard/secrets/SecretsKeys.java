package dev.rollguard.secrets;

import dev.rollguard.Problem;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * Opens the key ring of a database at start-up and proves it is the right one: every key the database was served with
 * must be in the ring and open its check envelope, but for those retired (everything they sealed was sealed again). A database that was never served gets a new ring; one that was and
 * whose ring is missing or different is refused with the reason, so the server never runs with a key that cannot open
 * what is stored (nor silently makes one).
 */
public final class SecretsKeys {
    private static final byte[] CHECK = "rollguard secrets key check".getBytes(StandardCharsets.UTF_8);

    private SecretsKeys() {}

    public static AesGcmSealer open(String database, Path file, String fromEnvironment, SecretsStore store, Clock clock) {
        List<SecretsStore.RecordedKey> recorded = store.keys();
        KeyRing ring = KeyRing.load(database, file, fromEnvironment, recorded.isEmpty());
        AesGcmSealer sealer = new AesGcmSealer(ring);
        for (SecretsStore.RecordedKey k : recorded) {
            if (k.retiredAt() != null && ring.find(k.id()).isEmpty()) continue;
            if (ring.find(k.id()).isEmpty()) {
                throw new Problem(500, "secrets_key_missing", "the database " + database + " holds data sealed with secrets key " + k.id()
                        + " (since " + k.createdAt() + "), which the key ring " + ring.source() + " does not hold (it has "
                        + String.join(", ", ring.ids()) + "): restore the key file from your backup; refusing to start");
            }
            try {
                sealer.open(k.checkEnvelope());
            } catch (Problem e) {
                throw new Problem(500, "secrets_key_wrong", "secrets key " + k.id() + " in " + ring.source()
                        + " is not the key this database was sealed with: restore the right key file; refusing to start");
            }
        }
        record(sealer, store, clock);
        return sealer;
    }

    /** Records the ring's current key (after a start or a rotation), so later starts require it. */
    public static void record(AesGcmSealer sealer, SecretsStore store, Clock clock) {
        store.record(sealer.currentKeyId(), sealer.seal(CHECK), clock.instant());
    }
}
