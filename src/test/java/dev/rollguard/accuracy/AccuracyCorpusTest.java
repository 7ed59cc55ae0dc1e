package dev.rollguard.accuracy;

import dev.rollguard.accuracy.AccuracyBenchmark.KindResult;
import dev.rollguard.accuracy.AccuracyBenchmark.Result;
import dev.rollguard.accuracy.AccuracyBenchmark.Split;
import dev.rollguard.readme.ReadmeShown;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The built-in validators on real Debian packages (downloaded by .ci/corpus; CI sets ROLLGUARD_REQUIRE_CORPUS=1 so a
 * missing corpus fails instead of skipping): no error on any package as shipped, and the seeded mistakes caught,
 * on the tuning split and on the held-out one alike.
 */
class AccuracyCorpusTest {
    /** A package's row ends with the milliseconds its validation took: a timing, not a count. */
    private static List<String> withoutMillis(List<String> lines) {
        return lines.stream().map(l -> l.matches("(tune|held-out)\\s.*") ? l.replaceFirst("\\s+\\d+$", "") : l).map(String::stripTrailing).toList();
    }

    @Test
    void corpusAsShippedIsCleanAndSeededMistakesAreCaught() throws IOException {
        Path corpus = Corpus.directory();
        List<Corpus.Entry> missing = Corpus.manifest().stream().filter(e -> Corpus.tree(corpus, e) == null).toList();
        if (System.getenv("ROLLGUARD_REQUIRE_CORPUS") != null) {
            assertThat(missing).as("corpus packages missing from " + corpus + " (run .ci/corpus)").isEmpty();
        } else {
            assumeTrue(missing.isEmpty(), "no accuracy corpus in " + corpus + " (run .ci/corpus)");
        }
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        Result r = AccuracyBenchmark.run(corpus, 1, 30, List.of(Split.TUNE, Split.HELD_OUT), out);
        AccuracyBenchmark.print(r, 1, out);
        AccuracyBenchmark.printMistakes(r, out);
        System.out.println(text);

        // the benchmarks page's table is this run's (`bin/rollguard bench accuracy` with its defaults), but for the milliseconds
        List<String> readme = ReadmeShown.figureAfter(Files.readString(Path.of(System.getProperty("user.dir"), "docs", "benchmarks.md")),
                "bin/rollguard bench accuracy");
        assertThat(withoutMillis(text.toString().lines().toList())).as("docs/benchmarks.md's accuracy table vs a fresh run")
                .containsSubsequence(withoutMillis(readme));

        assertThat(r.packages()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(r.packages()).as("false errors on packages as shipped:\n" + text)
                .allSatisfy(p -> assertThat(p.errors()).as(p.pkg()).isZero());
        for (Split split : Split.values()) {
            KindResult overall = r.overall(split);
            assertThat(overall.total()).as("mutants in " + split).isGreaterThanOrEqualTo(200);
            assertThat(overall.recall()).as("overall recall, " + split + "\n" + text).isGreaterThanOrEqualTo(0.95);
            assertThat(r.kinds().stream().filter(k -> k.split() == split && k.total() > 0).count()).isGreaterThanOrEqualTo(6);
            r.kinds().stream().filter(k -> k.split() == split && k.total() > 0).forEach(k ->
                    assertThat(k.recall()).as(k.kind().label + ", " + split).isGreaterThanOrEqualTo(0.90));
        }
    }
}
