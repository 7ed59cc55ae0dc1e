package dev.rollguard.readme;

import dev.rollguard.Parts;
import dev.rollguard.TestServer;
import dev.rollguard.cli.Main;
import dev.rollguard.config.TreeLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's deterministic figures against a fresh run of the command each names, in this JVM (no server): every line
 * but the timings must be what the command prints now. (Timings are re-measured by hand on a quiet machine; the accuracy
 * table is compared by {@code AccuracyCorpusTest}, which runs that benchmark anyway.)
 */
class ReadmeExamplesTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir"));
    private Path dir;

    @AfterEach
    void cleanUp() {
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    @Test
    void theValidateExampleIsWhatValidatePrintsOnDebiansWordPress() throws Exception {
        String wordpress = System.getenv("ROLLGUARD_WORDPRESS_DIR");
        // .ci/run unpacks Debian's WordPress there (and says so when it cannot, as the other real-WordPress tests skip)
        Parts.need("WORDPRESS", wordpress != null && Files.isDirectory(Path.of(wordpress)), "no Debian WordPress in ROLLGUARD_WORDPRESS_DIR (.ci/run unpacks it)");
        List<String> figure = firstBlock();
        assertThat(figure.get(0)).isEqualTo("$ bin/rollguard validate wp");

        // the tour's tree and typo: `cp -a`, then the tour's `sed -i "0,/plugin.php'/s//plugin.phpp'/" wp/wp-settings.php`
        dir = TestServer.tempDir();
        Path wp = dir.resolve("wp");
        Process cp = new ProcessBuilder("cp", "-a", wordpress, wp.toString()).inheritIO().start();
        assertThat(cp.waitFor(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS) && cp.exitValue() == 0).as("cp -a").isTrue();
        Path settings = wp.resolve("wp-settings.php");
        Files.writeString(settings, Files.readString(settings).replaceFirst("plugin\\.php'", "plugin.phpp'"));

        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        int status = cli.execute("validate", wp.toString());
        assertThat(status).as(out.toString()).isEqualTo(1);
        List<String> expected = new ArrayList<>();
        for (String l : figure.subList(1, figure.size())) if (!l.equals("...")) expected.add(withoutMillis(l));
        List<String> fresh = out.toString().lines().map(l -> withoutMillis(l.replace(wp + "/", ""))).toList();
        assertThat(fresh).as("the README's example vs a fresh `bin/rollguard validate wp`").containsSubsequence(expected);
    }

    @Test
    void theBenchValidateTableCountsWhatTheBenchmarkCounts() {
        List<String> figure = ReadmeShown.figureAfter(read("docs/benchmarks.md"), "bin/rollguard bench validate --files 1000,10000");
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        assertThat(cli.execute("bench", "validate", "--files", "1000,10000", "--runs", "1")).as(out.toString()).isEqualTo(0);
        // files, MiB and findings are the tree's; min/median/max ms are timings
        assertThat(countsOnly(out.toString().lines().toList())).as("docs/benchmarks.md's bench validate table vs a fresh run")
                .isEqualTo(countsOnly(figure));
    }

    private static List<String> countsOnly(List<String> table) {
        return table.stream().map(String::strip).filter(l -> l.matches("\\d.*")).map(l -> {
            String[] c = l.split("\\s+");
            return c[0] + " " + c[1] + " " + c[c.length - 1];
        }).toList();
    }

    private static String withoutMillis(String line) {
        return line.replaceAll("\\(\\d+ ms\\)", "(N ms)").stripTrailing();
    }

    /** The README's first example: the block that starts with the validate command's prompt. */
    private static List<String> firstBlock() {
        List<String> lines = readme().lines().toList();
        int start = lines.indexOf("$ bin/rollguard validate wp");
        List<String> out = new ArrayList<>();
        for (int i = start; i < lines.size() && !lines.get(i).startsWith("```"); i++) out.add(lines.get(i));
        return out;
    }

    private static String readme() {
        return read("README.md");
    }

    private static String read(String file) {
        try {
            return Files.readString(ROOT.resolve(file));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
