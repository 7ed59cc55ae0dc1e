package dev.rollguard.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** Every command's help, walked through picocli's model: each option and parameter says what it is, and help prints cleanly. */
class HelpTextTest {

    @Test
    void everyOptionAndParameterHasADescription() {
        List<String> missing = new ArrayList<>();
        walk(Main.commandLine(), cl -> {
            for (ArgSpec a : cl.getCommandSpec().args()) {
                if (!a.hidden() && Arrays.stream(a.description()).allMatch(String::isBlank)) {
                    missing.add(cl.getCommandSpec().qualifiedName() + " " + (a instanceof OptionSpec o ? o.longestName() : a.paramLabel()));
                }
            }
        });
        assertThat(missing).as("options and parameters without help text").isEmpty();
    }

    @Test
    void helpPrintsNoPicocliWarnings() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        List<String> usages = new ArrayList<>();
        try {
            walk(Main.commandLine(), cl -> usages.add(cl.getUsageMessage()));
        } finally {
            System.setErr(err);
        }
        assertThat(usages).isNotEmpty();
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
    }

    @Test
    void theDefaultServerUrlIsNeverBrokenAcrossLines() {
        List<String> broken = new ArrayList<>();
        walk(Main.commandLine(), cl -> {
            OptionSpec server = cl.getCommandSpec().findOption("--server");
            String url = server == null ? null : server.defaultValue();
            if (url != null && !cl.getUsageMessage().contains(url)) broken.add(cl.getCommandSpec().qualifiedName() + " (" + url + ")");
        });
        assertThat(broken).as("help texts that break the default server URL across lines").isEmpty();
    }

    private static void walk(CommandLine cl, Consumer<CommandLine> visit) {
        visit.accept(cl);
        cl.getSubcommands().values().stream().distinct().forEach(sub -> walk(sub, visit));
    }
}
