package dev.rollguard.storage;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class KeyFilesTest {
    @Test
    void sqliteKeepsItsKeysNextToTheFileUnlessAKeyDirectoryIsGiven() {
        assertThat(KeyFiles.of("/srv/rg/rollguard.db", null))
                .isEqualTo(new KeyFiles(Path.of("/srv/rg/rollguard.db.audit-key"), Path.of("/srv/rg/rollguard.db.secrets-key")));
        assertThat(KeyFiles.of("sqlite:/srv/rg/rollguard.db", null).secrets()).isEqualTo(Path.of("/srv/rg/rollguard.db.secrets-key"));
        assertThat(KeyFiles.of("/srv/rg/rollguard.db", Path.of("/etc/rollguard/keys")))
                .isEqualTo(new KeyFiles(Path.of("/etc/rollguard/keys/audit.key"), Path.of("/etc/rollguard/keys/secrets.key")));
    }

    @Test
    void postgresHasNoDirectoryOfItsOwnSoTheKeyDirectoryOrDataIsUsed() {
        String url = "postgresql://rg:pw@db:5432/rollguard";
        assertThat(KeyFiles.of(url, null)).isEqualTo(new KeyFiles(Path.of("data/audit.key"), Path.of("data/secrets.key")));
        assertThat(KeyFiles.of("jdbc:postgresql://db/rollguard", Path.of("/var/lib/rollguard/keys")).audit())
                .isEqualTo(Path.of("/var/lib/rollguard/keys/audit.key"));
    }
}
