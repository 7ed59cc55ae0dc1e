package dev.rollguard.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;

import static dev.rollguard.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A CLI call builds only the commands its arguments name (start-up: picocli's model of every command is most of a
 * call's time); what it prints and how it exits are those of the CLI with every command built.
 */
class LazyCommandsTest {
    @Test
    void aCallSaysAndExitsExactlyAsTheFullCommandLineWould() {
        List<String[]> calls = List.of(new String[]{"--help"}, new String[]{}, new String[]{"--version"}, new String[]{"-h"},
                new String[]{"relase", "--version", "3"}, new String[]{"valdiate", "x"}, new String[]{"--bogus"},
                new String[]{"validate", "--help"}, new String[]{"help"}, new String[]{"help", "release"},
                new String[]{"user", "--help"}, new String[]{"user", "ad"}, new String[]{"incident", "--help"},
                new String[]{"--server", "http://127.0.0.1:1", "services", "--help"}, new String[]{"services", "--help", "--bogus"},
                new String[]{"versions", "-s", "x", "--jsno"}, new String[]{"validate"}, new String[]{"--json", "services"},
                new String[]{"bench", "nosuch"}, new String[]{"validate", "push"}, new String[]{"push", "--help"},
                new String[]{"services", "--server"});
        for (String[] args : calls) {
            CliTest.Run lazy = run(args);
            CliTest.Run full = run(Main.commandLine(), args);
            assertThat(lazy).as(String.join(" ", args)).isEqualTo(full);
        }
    }

    @Test
    void onlyTheNamedCommandIsBuiltTheOthersAreOutlines() {
        CommandLine help = Main.commandLine(List.of("--help")::contains);
        assertThat(help.getSubcommands()).hasSize(Main.COMMANDS.size()).allSatisfy((name, sub) ->
                assertThat(sub.getCommandSpec().options()).extracting(o -> o.longestName()).containsExactly("--help"));
        assertThat(help.getSubcommands().get("validate").getCommandSpec().usageMessage().description())
                .containsExactly("Validate a config tree on disk; needs no server. Exit 1 when anything is found.");

        CommandLine validate = Main.commandLine(List.of("validate", "dir")::contains);
        assertThat(validate.getSubcommands().get("validate").getCommandSpec().findOption("--format")).isNotNull();
        assertThat(validate.getSubcommands().get("push").getCommandSpec().options()).hasSize(1);

        // a command line that starts with its command consults no other: they are not even outlined
        assertThat(Main.forArgs("validate", "dir").getSubcommands()).containsOnlyKeys("validate");
        assertThat(Main.forArgs("relase", "--version", "3").getSubcommands()).hasSize(Main.COMMANDS.size());
        assertThat(Main.forArgs("help").getSubcommands()).hasSize(Main.COMMANDS.size());
    }
}
