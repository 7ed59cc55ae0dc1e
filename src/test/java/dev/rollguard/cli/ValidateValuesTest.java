package dev.rollguard.cli;

import dev.rollguard.TestServer;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.values.Values;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Offline validate renders every environment (secrets as placeholders) and validates each rendering, like a push. */
class ValidateValuesTest {
    private final Path dir = TestServer.tempDir();

    @AfterEach
    void cleanUp() {
        TreeLoader.deleteRecursively(dir);
    }

    private record Run(int code, String out, String err) {}

    private Run validate() {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("validate", dir.toString(), "--builtin-only");
        return new Run(code, out.toString(), err.toString());
    }

    private void write(String path, String text) throws Exception {
        Files.createDirectories(dir.resolve(path).getParent());
        Files.writeString(dir.resolve(path), text);
    }

    @Test
    void everyEnvironmentIsRenderedAndValidatedOffline() throws Exception {
        write(Values.PATH, """
                defaults: {pool: 5, db_host: localhost}
                environments:
                  production: {pool: twenty, db_password: {secret: "rg-sealed:v1:k1:AAAA"}}
                """);
        write("pool.json.tmpl", "{\"pool\": {{pool}}}\n");
        write("wp-config.php.tmpl", "<?php define('DB_PASSWORD', '{{db_password}}');\n");
        Run production = validate();
        // testing has no db_password: the same refusal a push gets, at its file and line
        assertThat(production.code()).isEqualTo(1);
        assertThat(production.out()).contains("wp-config.php.tmpl:1: error: wp-config.php.tmpl:1: no value 'db_password' (rendering for testing)");

        write(Values.PATH, """
                defaults: {pool: 5, db_password: ''}
                environments:
                  production: {pool: twenty, db_password: {secret: "rg-sealed:v1:k1:AAAA"}}
                """);
        Run broken = validate();
        assertThat(broken.code()).isEqualTo(1);
        assertThat(broken.out()).contains("pool.json.tmpl:1").contains("(in production)");

        write(Values.PATH, """
                defaults: {pool: 5, db_password: ''}
                environments:
                  production: {pool: 20, db_password: {secret: "rg-sealed:v1:k1:AAAA"}}
                """);
        Run clean = validate();
        assertThat(clean.code()).as(clean.out() + clean.err()).isZero();
    }
}
