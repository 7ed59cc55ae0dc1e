package dev.rollguard.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static dev.rollguard.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The usage the build put into the classes (so into the jar) is what picocli prints live for {@code rollguard --help},
 * {@code -h} and {@code help}, with and without colours: serving it can never say something the CLI would not.
 */
class ServedHelpTest {
    @Test
    void theBuiltTextIsWhatPicocliPrintsLive() {
        String plain = ServedHelp.text(ServedHelp.PLAIN);
        assertThat(plain).as("written by the build step (exec-maven-plugin, process-classes)").isNotNull().contains("validate");
        for (String ask : ServedHelp.ASKS) {
            CliTest.Run live = run(Main.commandLine(), ask);
            assertThat(live.code()).isZero();
            assertThat(live.out()).as(ask).isEqualTo(plain);
        }
        CommandLine coloured = Main.commandLine();
        coloured.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.ON));
        CliTest.Run live = run(coloured, "--help");
        assertThat(ServedHelp.text(ServedHelp.ANSI)).isEqualTo(live.out()).contains("\u001b[");
    }

    @Test
    void onlyExactlyTheTopLevelUsageIsServed() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        for (String[] args : new String[][]{{}, {"--help", "x"}, {"validate", "--help"}, {"help", "release"}, {"--version"}, {"hlep"}}) {
            assertThat(ServedHelp.serve(args, out)).as(String.join(" ", args)).isFalse();
        }
        assertThat(bytes.size()).isZero();
        assertThat(ServedHelp.serve(new String[]{"-h"}, out)).isTrue();
        // no terminal here: the plain text, as picocli would print it
        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo(ServedHelp.text(ServedHelp.PLAIN));
    }
}
