package dev.rollguard.cli;

import dev.rollguard.agent.AgentConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The agent command's choices that reach the agents' configuration: the stream by default, long-poll on request, several servers. */
class AgentCommandTest {
    private static List<AgentConfig> configs(String... options) {
        List<String> args = new ArrayList<>(List.of("agent", "--server", "http://a:1,http://b:2", "--host-id", "h"));
        args.addAll(List.of(options));
        args.addAll(List.of("--service", "wp", "-e", "testing", "--target", "/tmp/rollguard-agent-command-test"));
        CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args.toArray(String[]::new));
        return ((AgentCommand) parsed.subcommand().commandSpec().userObject()).configs();
    }

    @Test
    void theStreamIsTheDefaultAndLongPollIsAChoice() {
        assertThat(configs().get(0).stream()).isTrue();
        assertThat(configs("--stream").get(0).stream()).isTrue();
        assertThat(configs("--no-stream").get(0).stream()).isFalse();
        assertThat(configs("--long-poll").get(0).stream()).isFalse();
        // the channel first, unless refused or long-polling
        assertThat(configs().get(0).channel()).isTrue();
        assertThat(configs("--no-channel").get(0).channel()).isFalse();
        assertThat(configs("--no-channel").get(0).stream()).isTrue();
        assertThat(configs("--long-poll").get(0).channel()).isFalse();
        assertThatThrownBy(() -> configs("--stream", "--long-poll")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("exclude each other");
    }

    @Test
    void severalServersAreTheReplicasOneHostFailsOverBetween() {
        assertThat(configs().get(0).servers()).containsExactly("http://a:1", "http://b:2");
    }
}
