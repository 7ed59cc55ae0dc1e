package dev.rollguard.cli;

import dev.rollguard.TestServer;
import dev.rollguard.config.Limits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;

import static dev.rollguard.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** A typo never succeeds: unknown commands and options are usage errors (exit 2) naming what was probably meant. */
class UsageTest {
    @TempDir
    Path dir;

    @Test
    void aMistypedCommandIsAUsageErrorEvenBesideAHelpOption() {
        // --version is both the global flag and release's option: the typo must not print the version and exit 0
        CliTest.Run typo = run("relase", "--version", "3");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.err()).contains("unknown command 'relase'", "did you mean 'release'?");
        assertThat(typo.out()).doesNotContain("rollguard 0.1.0");
        assertThat(run("relase", "-s", "wp", "-e", "production", "--version", "3", "--wait").code()).isEqualTo(2);
        assertThat(run("services", "--help", "--bogus").code()).isEqualTo(2);
        CliTest.Run option = run("versions", "-s", "x", "--jsno");
        assertThat(option.code()).isEqualTo(2);
        assertThat(option.err()).contains("unknown option '--jsno'", "did you mean '--json'?");
        // one line and a pointer to the help, not the whole usage
        assertThat(typo.err().lines()).hasSize(2).last().asString().contains("rollguard --help");
        assertThat(run("--version").code()).isZero();
    }

    @Test
    void aWriteRateThatLetsNothingThroughIsAUsageError() {
        CliTest.Run zero = run("server", "--db", dir.resolve("x.db").toString(), "--port", "0", "--write-rate", "0");
        assertThat(zero.code()).isEqualTo(2);
        assertThat(zero.err()).contains("--write-rate/--write-burst: a rate needs perSecond > 0 and burst >= 1");
        assertThat(run("server", "--db", dir.resolve("x.db").toString(), "--port", "0", "--write-burst", "0.5").code()).isEqualTo(2);
    }

    @Test
    void globalOptionsAreReadBeforeOrAfterTheCommand() {
        try (TestServer ts = new TestServer(Limits.DEFAULT, 1 << 20)) {
            ts.send("PUT", "/api/v1/services/wp", "{\"environments\": [\"production\"]}");
            CliTest.Run before = run("--server", ts.url(), "--token", TestServer.ADMIN_TOKEN, "services");
            CliTest.Run after = run("services", "--server", ts.url(), "--token=" + TestServer.ADMIN_TOKEN);
            assertThat(before.code()).as(before.err()).isZero();
            assertThat(before.out()).contains("wp").isEqualTo(after.out());
        }
        // a global option with no command after it is still a usage error
        assertThat(run("--server", "http://127.0.0.1:1").code()).isEqualTo(2);
    }

    @Test
    void globalOptionsMoveAfterTheCommandsName() {
        Set<String> commands = Set.of("services", "push");
        assertThat(Usage.globalOptionsAfterCommand(new String[]{"--server", "U", "--token=T", "push", "a"}, commands))
                .containsExactly("push", "--server", "U", "--token=T", "a");
        assertThat(Usage.globalOptionsAfterCommand(new String[]{"services", "--server", "U"}, commands))
                .containsExactly("services", "--server", "U");
        // not a command next: left for picocli to refuse
        assertThat(Usage.globalOptionsAfterCommand(new String[]{"--server", "U", "servces"}, commands))
                .containsExactly("--server", "U", "servces");
        assertThat(Usage.globalOptionsAfterCommand(new String[]{"--server"}, commands)).containsExactly("--server");
    }

    @Test
    void aPushToAServerThatIsDownFailsBeforeReadingTheTree() {
        // a directory that does not exist: reading the tree first would answer "no such directory" (exit 2)
        CliTest.Run r = run("push", dir.resolve("nope").toString(), "-s", "wp", "-m", "m", "--no-git", "--server", "http://127.0.0.1:1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("rollguard: cannot reach the Rollguard server at http://127.0.0.1:1");
    }
}
