package dev.rollguard.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 25 (Lows): the CLI's YAML spec refuses unknown and duplicate keys, as the server's JSON does. */
class SpecFilesTest {
    private static Path write(String yaml) throws Exception {
        Path f = Files.createTempFile("spec-", ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void aMisspeltKeyIsNamed() throws Exception {
        Path f = write("validation:\n  riskRule:\n    - {name: db, paths: [wp-config.php]}\n");
        assertThatThrownBy(() -> ValidateCommand.SpecFiles.load(f)).hasMessageContaining("unknown key 'validation.riskRule'")
                .hasMessageContaining("riskRules");
    }

    @Test
    void aKeyGivenTwiceIsRefused() throws Exception {
        Path f = write("environments: [staging]\nenvironments: [production]\n");
        assertThatThrownBy(() -> ValidateCommand.SpecFiles.load(f)).hasMessageContaining("Duplicate field 'environments'");
    }

    @Test
    void aCorrectSpecLoads() throws Exception {
        Path f = write("environments: [staging, production]\nvalidation:\n  riskRules: []\n");
        assertThat(ValidateCommand.SpecFiles.load(f).environments()).containsExactly("staging", "production");
    }
}
