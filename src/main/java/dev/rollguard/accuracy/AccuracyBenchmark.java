package dev.rollguard.accuracy;

import dev.rollguard.accuracy.Mutant.Kind;
import dev.rollguard.accuracy.Mutator.Named;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * How often the built-in validators are right on real trees: every package of the corpus validated as shipped
 * (every error there is a false alarm), then seeded mistakes ({@link Mutator}) validated against the
 * unmutated tree as parent, as a push would be (a mutant is caught when an error names its file at its line ±1).
 * Two splits: {@code tune} (the packages and the seed used while tuning the validators) and {@code held-out}
 * (packages never looked at while tuning, and a mutation stream from another seed over every package).
 */
public final class AccuracyBenchmark {
    /** Held-out mutants come from a seed derived from the given one, so {@code --seed} moves both streams. */
    private static final long HELD_OUT_SALT = 0x5DEECE66DL;

    public enum Split { TUNE, HELD_OUT }

    public record PackageResult(String pkg, Split split, int textFiles, int binaries, int links, long errors, long warnings,
                                long millis, List<Finding> errorFindings) {}

    public record KindResult(Split split, Kind kind, int caught, int total) {
        public double recall() { return total == 0 ? Double.NaN : (double) caught / total; }
    }

    public record Miss(Split split, Mutant mutant, List<Finding> errors) {}

    public record Result(List<PackageResult> packages, List<KindResult> kinds, List<Miss> missed) {
        public KindResult overall(Split split) {
            int caught = 0;
            int total = 0;
            for (KindResult k : kinds) {
                if (k.split() != split) continue;
                caught += k.caught();
                total += k.total();
            }
            return new KindResult(split, null, caught, total);
        }
    }

    private AccuracyBenchmark() {}

    /** The one place trees are read: the CLI's loader (binaries and links first-class), with its offline limits. */
    static ConfigTree load(Path dir) {
        return TreeLoader.scan(dir, OFFLINE).tree();
    }

    /** The same sanity bounds as {@code rollguard validate}. */
    private static final Limits OFFLINE = new Limits(32L * 1024 * 1024, 200_000, 4L * 1024 * 1024 * 1024);

    public static Result run(Path corpus, long seed, int perKind, List<Split> splits, PrintWriter progress) {
        Validation validation = Validation.builtIn();
        ValidationSettings settings = ValidationSettings.DEFAULT;
        List<PackageResult> packages = new ArrayList<>();
        Map<String, ConfigTree> trees = new LinkedHashMap<>();
        List<Named> tune = new ArrayList<>();
        List<Named> all = new ArrayList<>();
        for (Corpus.Entry e : Corpus.manifest()) {
            Split split = e.heldOut() ? Split.HELD_OUT : Split.TUNE;
            if (!splits.contains(split) && e.heldOut()) continue;
            Path dir = Corpus.tree(corpus, e);
            if (dir == null) {
                progress.println("missing from the corpus: " + e.pkg() + " (run .ci/corpus)");
                continue;
            }
            ConfigTree t = load(dir);
            trees.put(e.pkg(), t);
            long start = System.nanoTime();
            ValidationReport report = validation.run(t, null, settings);
            long millis = (System.nanoTime() - start) / 1_000_000;
            List<Finding> errors = report.findings().stream().filter(f -> f.severity() == FindingSeverity.ERROR).toList();
            int text = t.textPaths().size();
            int links = t.links().size();
            packages.add(new PackageResult(e.pkg(), split, text, t.paths().size() - text - links, links, errors.size(),
                    report.warnings(), millis, errors));
            Named named = new Named(e.pkg(), t);
            all.add(named);
            if (!e.heldOut()) tune.add(named);
        }
        List<KindResult> kinds = new ArrayList<>();
        List<Miss> missed = new ArrayList<>();
        for (Split split : splits) {
            Random random = new Random(split == Split.TUNE ? seed : seed ^ HELD_OUT_SALT);
            for (Kind kind : Kind.values()) {
                List<Mutant> mutants = Mutator.mutants(kind, split == Split.TUNE ? tune : all, perKind, random);
                int caught = 0;
                for (Mutant m : mutants) {
                    ConfigTree original = trees.get(m.pkg());
                    var mutated = original.with(Map.of(m.path(), m.content()));
                    ValidationReport report = validation.run(mutated, original, settings);
                    List<Finding> errors = report.findings().stream().filter(f -> f.severity() == FindingSeverity.ERROR).toList();
                    boolean hit = errors.stream().anyMatch(f -> m.path().equals(f.path()) && Math.abs(f.line() - m.line()) <= 1);
                    if (hit) caught++;
                    else missed.add(new Miss(split, m, errors));
                }
                kinds.add(new KindResult(split, kind, caught, mutants.size()));
                progress.printf("  %s %s: %d of %d caught%n", label(split), kind.label, caught, mutants.size());
                progress.flush();
            }
        }
        return new Result(packages, kinds, missed);
    }

    public static void print(Result r, long seed, PrintWriter out) {
        out.println("as shipped (every error is a false alarm; built-in rules):");
        out.printf("%-9s %-22s %7s %9s %6s %7s %9s %8s%n", "split", "package", "text", "binaries", "links", "errors", "warnings", "ms");
        for (PackageResult p : r.packages()) {
            out.printf("%-9s %-22s %7d %9d %6d %7d %9d %8d%n", label(p.split()), p.pkg(), p.textFiles(), p.binaries(), p.links(), p.errors(),
                    p.warnings(), p.millis());
        }
        out.println();
        out.println("seeded mistakes (caught: an error names the file at the mutated line ±1; seed " + seed + "):");
        out.printf("%-22s %16s %8s %16s %8s%n", "kind", "tune caught", "recall", "held-out caught", "recall");
        for (Kind kind : Kind.values()) {
            KindResult t = find(r, Split.TUNE, kind);
            KindResult h = find(r, Split.HELD_OUT, kind);
            out.printf("%-22s %16s %8s %16s %8s%n", kind.label, count(t), pct(t), count(h), pct(h));
        }
        KindResult t = r.overall(Split.TUNE);
        KindResult h = r.overall(Split.HELD_OUT);
        out.printf("%-22s %16s %8s %16s %8s%n", "overall", count(t), pct(t), count(h), pct(h));
        out.flush();
    }

    /** The false errors and the missed mutants, one per line: what tuning works from. */
    public static void printMistakes(Result r, PrintWriter out) {
        r.packages().forEach(p -> p.errorFindings().forEach(f -> out.println("false error in " + p.pkg() + ": " + f.render().replace("\n", " "))));
        r.missed().forEach(m -> {
            out.println("missed " + m.mutant().kind() + " " + m.mutant().pkg() + " " + m.mutant().path() + ":" + m.mutant().line() + " "
                    + m.mutant().description());
            m.errors().stream().limit(3).forEach(f -> out.println("    got " + f.render().replace("\n", " ")));
        });
        out.flush();
    }

    private static KindResult find(Result r, Split split, Kind kind) {
        return r.kinds().stream().filter(k -> k.split() == split && k.kind() == kind).findFirst().orElse(null);
    }

    private static String label(Split s) { return s == Split.TUNE ? "tune" : "held-out"; }

    private static String count(KindResult k) { return k == null || k.total() == 0 ? "-" : k.caught() + "/" + k.total(); }

    private static String pct(KindResult k) { return k == null || k.total() == 0 ? "-" : String.format("%.1f%%", 100 * k.recall()); }
}
