package dev.rollguard.cli;

import dev.rollguard.accuracy.AccuracyBenchmark;
import dev.rollguard.accuracy.AccuracyBenchmark.Split;
import dev.rollguard.accuracy.Corpus;

import java.io.PrintWriter;
import java.util.List;

/** {@code rollguard bench accuracy}: the built-in validators on the corpus of real Debian packages. */
final class AccuracyBench {
    private AccuracyBench() {}

    static int run(long seed, int perKind, String split, boolean missed, PrintWriter out) {
        List<Split> splits = switch (split) {
            case "tune" -> List.of(Split.TUNE);
            case "held-out" -> List.of(Split.HELD_OUT);
            case "all" -> List.of(Split.TUNE, Split.HELD_OUT);
            default -> throw new IllegalArgumentException("--split must be tune, held-out or all");
        };
        out.println("accuracy of the built-in validators on " + Corpus.directory() + " (download: .ci/corpus)");
        AccuracyBenchmark.Result r = AccuracyBenchmark.run(Corpus.directory(), seed, perKind, splits, out);
        AccuracyBenchmark.print(r, seed, out);
        if (missed) AccuracyBenchmark.printMistakes(r, out);
        out.flush();
        return 0;
    }
}
