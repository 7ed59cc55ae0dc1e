package dev.rollguard.cli;

import dev.rollguard.accuracy.AccuracyBenchmark;
import dev.rollguard.accuracy.AccuracyBenchmark.Split;
import dev.rollguard.accuracy.Corpus;
import dev.rollguard.accuracy.DaemonAccuracy;
import dev.rollguard.sandbox.Sandbox;

import java.io.PrintWriter;
import java.util.List;

/**
 * {@code rollguard bench accuracy}: the built-in validators on the corpus of real Debian packages, and Rollguard beside
 * each daemon's own checker on the daemon corpus.
 */
final class AccuracyBench {
    private AccuracyBench() {}

    static int run(long seed, int perKind, String split, boolean missed, String corpus, PrintWriter out) {
        List<Split> splits = switch (split) {
            case "tune" -> List.of(Split.TUNE);
            case "held-out" -> List.of(Split.HELD_OUT);
            case "all" -> List.of(Split.TUNE, Split.HELD_OUT);
            default -> throw new IllegalArgumentException("--split must be tune, held-out or all");
        };
        if (!List.of("php", "daemons", "all").contains(corpus)) throw new IllegalArgumentException("--corpus must be php, daemons or all");
        if (!corpus.equals("daemons")) {
            out.println("accuracy of the built-in validators on " + Corpus.directory() + " (download: .ci/corpus)");
            AccuracyBenchmark.Result r = AccuracyBenchmark.run(Corpus.directory(), seed, perKind, splits, out);
            AccuracyBenchmark.print(r, seed, out);
            if (missed) AccuracyBenchmark.printMistakes(r, out);
        }
        if (!corpus.equals("php")) {
            if (!corpus.equals("daemons")) out.println();
            out.println("accuracy on the daemon corpus in " + Corpus.directory() + ": Rollguard beside each daemon's own checker, in the sandbox");
            // the daemons' trees are small and every mutant runs the checker twice: a third of the mutants per kind
            try (Sandbox sandbox = Sandbox.detect()) {
                if (!sandbox.available()) out.println("the daemons' checkers cannot run: " + sandbox.unavailableReason());
                DaemonAccuracy.Result d = DaemonAccuracy.run(Corpus.directory(), sandbox, seed, Math.max(1, perKind / 3), splits, out);
                DaemonAccuracy.print(d, seed, out);
                if (missed) DaemonAccuracy.printMistakes(d, out);
            }
        }
        out.flush();
        return 0;
    }
}
