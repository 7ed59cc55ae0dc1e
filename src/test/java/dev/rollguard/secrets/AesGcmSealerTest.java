package dev.rollguard.secrets;

import dev.rollguard.Problem;
import dev.rollguard.storage.KeyFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AesGcmSealerTest {
    @TempDir Path dir;

    private String db() { return dir.resolve("rg.db").toString(); }

    private Path ring() { return KeyFiles.of(db(), null).secrets(); }

    @Test
    void sealsToAnEnvelopeThatHidesThePlaintextAndOpensBack() {
        Sealer sealer = new AesGcmSealer(KeyRing.load(db(), ring(), null, true));
        byte[] secret = "define('DB_PASSWORD', 'MARKER-s3cr3t');".getBytes(StandardCharsets.UTF_8);
        String envelope = sealer.seal(secret);
        assertThat(Sealer.isSealed(envelope)).isTrue();
        assertThat(envelope).startsWith("rg-sealed:v1:" + sealer.currentKeyId() + ":").doesNotContain("MARKER");
        assertThat(sealer.open(envelope)).isEqualTo(secret);
        assertThat(sealer.seal(secret)).as("a fresh nonce each time").isNotEqualTo(envelope);
        assertThat(Sealer.isSealed("define('DB_PASSWORD'")).isFalse();
        assertThat(Sealer.isSealed(null)).isFalse();
    }

    @Test
    void theKeyFileIsPrivateAndReadBackOnTheNextStart() throws Exception {
        KeyRing first = KeyRing.load(db(), ring(), null, true);
        Path file = dir.resolve("rg.db.secrets-key");
        assertThat(first.file()).isEqualTo(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String envelope = new AesGcmSealer(first).seal(new byte[]{1, 2, 3});
        assertThat(new AesGcmSealer(KeyRing.load(db(), ring(), null, false)).open(envelope)).containsExactly(1, 2, 3);
    }

    @Test
    void aMissingKeyFileIsRefusedWhenTheDatabaseHoldsSealedData() {
        assertThatThrownBy(() -> KeyRing.load(db(), ring(), null, false))
                .isInstanceOf(Problem.class)
                .hasMessageContaining("secrets keys from").hasMessageContaining("rg.db.secrets-key").hasMessageContaining("refusing to start");
        assertThat(dir.resolve("rg.db.secrets-key")).doesNotExist();
    }

    @Test
    void rotationKeepsOldKeysToOpenAndSealsWithTheNewOne() {
        KeyRing ring = KeyRing.load(db(), ring(), null, true);
        String old = new AesGcmSealer(ring).seal("old".getBytes(StandardCharsets.UTF_8));
        KeyRing rotated = ring.rotated();
        AesGcmSealer sealer = new AesGcmSealer(KeyRing.load(db(), ring(), null, false));
        assertThat(sealer.ring().ids()).isEqualTo(rotated.ids()).hasSize(2);
        assertThat(sealer.currentKeyId()).isNotEqualTo(ring.current().id());
        assertThat(new String(sealer.open(old), StandardCharsets.UTF_8)).isEqualTo("old");
        assertThat(Sealer.keyIdOf(sealer.seal(new byte[0]))).isEqualTo(rotated.current().id());
    }

    @Test
    void aTamperedOrRelabelledEnvelopeDoesNotOpen() {
        KeyRing ring = KeyRing.load(db(), ring(), null, true).rotated();
        AesGcmSealer sealer = new AesGcmSealer(ring);
        String envelope = sealer.seal("payload".getBytes(StandardCharsets.UTF_8));
        String body = envelope.substring(envelope.lastIndexOf(':') + 1);
        byte[] raw = Base64.getDecoder().decode(body);
        raw[raw.length - 1] ^= 1;
        String tampered = envelope.substring(0, envelope.lastIndexOf(':') + 1) + Base64.getEncoder().encodeToString(raw);
        assertThatThrownBy(() -> sealer.open(tampered)).isInstanceOf(Problem.class).hasMessageContaining("does not open");
        // the same body under the other key id: the key id is authenticated data, so it fails rather than opening
        String relabelled = "rg-sealed:v1:" + ring.keys().get(0).id() + ":" + body;
        assertThatThrownBy(() -> sealer.open(relabelled)).isInstanceOf(Problem.class);
        assertThatThrownBy(() -> sealer.open("rg-sealed:v1:nokey:AAAA")).isInstanceOf(Problem.class).hasMessageContaining("does not hold");
    }

    @Test
    void aRingFromTheEnvironmentIsUsedAsIsAndCannotBeRotatedInPlace() {
        String key = Base64.getEncoder().encodeToString(new byte[32]);
        KeyRing ring = KeyRing.load(db(), ring(), "a " + key + "; b " + key, false);
        assertThat(ring.ids()).containsExactly("a", "b");
        assertThat(ring.current().id()).isEqualTo("b");
        assertThat(dir.resolve("rg.db.secrets-key")).doesNotExist();
        assertThatThrownBy(ring::rotated).isInstanceOf(Problem.class).hasMessageContaining(KeyRing.ENV);
        assertThatThrownBy(() -> KeyRing.load(db(), ring(), "a c2hvcnQ=", false)).isInstanceOf(Problem.class).hasMessageContaining("32 bytes");
    }
}
