package dev.rollguard.accuracy;

import dev.rollguard.accuracy.AccuracyBenchmark.KindResult;
import dev.rollguard.accuracy.AccuracyBenchmark.Result;
import dev.rollguard.accuracy.AccuracyBenchmark.Split;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
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
    @Test
    void corpusAsShippedIsCleanAndSeededMistakesAreCaught() {
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
