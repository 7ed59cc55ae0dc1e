package dev.rollguard.readme;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README cannot show a command the CLI does not have, nor a figure without the command that produced it (fast: no
 * server, no process; the commands are parsed by the real picocli command tree). That the figures still match a fresh
 * run is the job of whoever re-measures them; this test keeps each one findable: its command is right above it.
 */
class ReadmeFiguresTest {
    private static final Path README = Path.of(System.getProperty("user.dir"), "README.md");
    /** The benchmarks' methods and history, moved out of the README: held to the same rules. */
    private static final Path BENCHMARKS = Path.of(System.getProperty("user.dir"), "docs", "benchmarks.md");

    @Test
    void everyRollguardCommandTheReadmeShowsParses() throws IOException {
        List<ReadmeShown.Shown> shown = ReadmeShown.of(Files.readString(README)).commands();
        assertThat(shown).as("commands found in the README").hasSizeGreaterThan(80);
        assertThat(problems(shown)).as("README commands the CLI would refuse").isEmpty();
        List<ReadmeShown.Shown> benchmarks = ReadmeShown.of(Files.readString(BENCHMARKS)).commands();
        assertThat(benchmarks).as("commands found in docs/benchmarks.md").hasSizeGreaterThan(30);
        assertThat(problems(benchmarks)).as("docs/benchmarks.md commands the CLI would refuse").isEmpty();
    }

    @Test
    void everyFigureInTheReadmeNamesItsCommand() throws IOException {
        assertThat(ReadmeShown.of(Files.readString(README)).figuresWithoutCommand()).isEmpty();
        assertThat(ReadmeShown.of(Files.readString(BENCHMARKS)).figuresWithoutCommand()).as("docs/benchmarks.md").isEmpty();
    }

    @Test
    void aMadeUpOptionSubcommandOrValueIsCaught() {
        String readme = """
                ## Benchmarks
                `bin/rollguard bench validate --filez 1000` on a tree:
                ```bash
                bin/rollguard frobnicate -s wordpress-api
                export T=$(bin/rollguard enrol -s S -e production --hostt web-1 | head -1)
                bin/rollguard bench judgement --seed one
                bin/rollguard bench judgment --seed 1
                bin/rollguard push wp -s wordpress-api -m "a message with --no-such-option in it" 2> push.log &
                #   bin/rollguard agent --server http://rollguard:8080 \\
                #     --no-such-flag
                ```
                ## CLI
                | command | |
                |---|---|
                | `validate PATH [--format text\\|json\\|xml] [--frobnicate]` | |
                | `enrol -s S -e ENV [--host H \\| --max-hostz N]` | |
                """;
        List<String> problems = problems(ReadmeShown.of(readme).commands());
        assertThat(problems).hasSize(8);
        assertThat(String.join("\n", problems)).contains("--filez", "frobnicate", "--hostt", "'one'", "'judgment'", "--no-such-flag",
                "--frobnicate", "--max-hostz");
    }

    @Test
    void synopsesAndShellAreReadAsAPersonReadsThem() {
        String readme = """
                Run `bin/rollguard bench accuracy [--seed N] [--per-kind 30] [--split tune|held-out|all] [--missed]`, then
                `rollguard incident show|ack|resolve ID` and `rollguard enrol -s S -e ENV [--host H | --max-hosts N]` or just
                `rollguard fix`; `rollguard postmortem ID [--fresh] > pm.md`.
                ```bash
                export T=$(bin/rollguard enrol -s wordpress-api -e production | head -1)
                bin/rollguard simulate -s wordpress-api -e production --hosts 5 --rps 50 2> simulate.log &
                bin/rollguard incident resolve 1 "v3 fixed it"   # "resolved"
                sudo journalctl -u rollguard-server | grep ROLLGUARD_TOKEN=
                ```
                ```yaml
                job_name: rollguard
                      - run: java -jar rollguard.jar validate config --spec rollguard.yaml --format github
                ```
                """;
        List<ReadmeShown.Shown> shown = ReadmeShown.of(readme).commands();
        assertThat(shown).extracting(ReadmeShown.Shown::text).containsExactly(
                "bin/rollguard bench accuracy [--seed N] [--per-kind 30] [--split tune|held-out|all] [--missed]",
                "rollguard incident show|ack|resolve ID", "rollguard enrol -s S -e ENV [--host H | --max-hosts N]",
                "rollguard fix", "rollguard postmortem ID [--fresh] > pm.md",
                "bin/rollguard enrol -s wordpress-api -e production",
                "bin/rollguard simulate -s wordpress-api -e production --hosts 5 --rps 50",
                "bin/rollguard incident resolve 1 v3\u0001fixed\u0001it",
                "java -jar rollguard.jar validate config --spec rollguard.yaml --format github");
        assertThat(problems(shown)).isEmpty();
    }

    @Test
    void aFigureWithoutItsCommandIsCaught() {
        String readme = """
                ## Benchmarks
                `bin/rollguard bench validate --files 1000` on the 2-core machine:
                ```
                files  ms
                1000   32
                ```
                Then the same again, measured somehow:
                ```
                files  ms
                10000  84
                ```
                | scenario | rolled back |
                |---|---:|
                | 5xx x2 | 98.5 % |

                ```
                $ bin/rollguard validate wp
                2 error(s) in 2545 file(s)
                ```
                ```text
                a diagram, 2 boxes
                ```
                ## Architecture
                | what | where |
                |---|---|
                | 5xx x2 | 98.5 % |
                """;
        assertThat(ReadmeShown.of(readme).figuresWithoutCommand()).extracting(ReadmeShown.Problem::line).containsExactly(8, 24);
    }

    private static List<String> problems(List<ReadmeShown.Shown> shown) {
        List<String> out = new ArrayList<>();
        for (ReadmeShown.Shown s : shown) {
            String p = ReadmeShown.parseProblem(s);
            if (p != null) out.add("README line " + s.line() + ": `" + s.text() + "`: " + p);
        }
        return out;
    }
}
