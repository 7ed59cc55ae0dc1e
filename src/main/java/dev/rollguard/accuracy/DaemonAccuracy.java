package dev.rollguard.accuracy;

import dev.rollguard.accuracy.AccuracyBenchmark.Split;
import dev.rollguard.accuracy.DaemonMutator.Kind;
import dev.rollguard.accuracy.DaemonMutator.Mutant;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Sandbox;
import dev.rollguard.validate.DaemonConfigValidator;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationInput;
import dev.rollguard.validate.Validator;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The daemon corpus ({@code daemons.txt}): each daemon's config tree as its Debian package ships it, validated as
 * shipped (every error a false alarm), then seeded directive, include and syntax mistakes ({@link DaemonMutator}),
 * each judged twice on the same mutant: Rollguard (the built-in rules and the daemon's checker, the unmutated tree as
 * parent, as a push) and the daemon's own checker alone (its own output, no parent). Caught: an error names the file
 * at the mutated line ±1. Splits as {@link AccuracyBenchmark}: tune (the tuned daemons, one seed), held-out (every
 * daemon, another seed; the held-out daemons were never looked at while tuning).
 */
public final class DaemonAccuracy {
    private static final long HELD_OUT_SALT = 0x5DEECE66DL;

    public record Shipped(String pkg, String checker, Split split, int textFiles, List<Finding> errors, List<String> notices) {}

    /** Per daemon, split and kind: mutants, caught by Rollguard, caught by the daemon's checker alone. */
    public record Row(String checker, Split split, Kind kind, int total, int rollguard, int own) {}

    public record Miss(Split split, Mutant mutant, boolean byRollguard, boolean byOwn) {}

    public record Result(List<Shipped> shipped, List<Row> rows, List<Miss> missed) {}

    private DaemonAccuracy() {}

    public static Result run(Path corpus, Sandbox sandbox, long seed, int perKind, List<Split> splits, PrintWriter progress) {
        List<Shipped> shipped = new ArrayList<>();
        List<DaemonMutator.Target> targets = new ArrayList<>();
        // one checker for both judges: the same mutated tree is run once, its findings cached
        DaemonConfigValidator own = new DaemonConfigValidator(sandbox);
        try (Validation rollguard = new Validation(withDaemons(own))) {
            for (Corpus.DaemonEntry e : Corpus.daemons()) {
                Split split = e.heldOut() ? Split.HELD_OUT : Split.TUNE;
                if (!splits.contains(split) && e.heldOut()) continue;
                Path dir = Corpus.tree(corpus, e.entry());
                if (dir == null) {
                    progress.println("missing from the corpus: " + e.pkg() + " (run .ci/corpus)");
                    continue;
                }
                ConfigTree t = AccuracyBenchmark.load(dir);
                var report = rollguard.run(t, null, declared(e));
                shipped.add(new Shipped(e.pkg(), e.checker(), split, t.textPaths().size(),
                        report.findings().stream().filter(f -> f.severity() == FindingSeverity.ERROR).toList(), report.notices()));
                targets.add(new DaemonMutator.Target(e, t));
            }
            List<Row> rows = new ArrayList<>();
            List<Miss> missed = new ArrayList<>();
            for (Split split : splits) {
                Random random = new Random(split == Split.TUNE ? seed : seed ^ HELD_OUT_SALT);
                for (DaemonMutator.Target t : targets) {
                    if (split == Split.TUNE && t.entry().heldOut()) continue;
                    for (Kind kind : Kind.values()) {
                        List<Mutant> mutants = DaemonMutator.mutants(kind, t, perKind, random);
                        int byRollguard = 0;
                        int byOwn = 0;
                        for (Mutant m : mutants) {
                            ConfigTree mutated = t.tree().with(Map.of(m.path(), m.content()));
                            boolean r = caught(m, rollguard.run(mutated, t.tree(), declared(t.entry())).findings());
                            boolean o;
                            try (ValidationInput in = new ValidationInput(mutated, null, declared(t.entry()))) {
                                o = caught(m, own.validate(in));
                            }
                            if (r) byRollguard++;
                            if (o) byOwn++;
                            if (!r || !o) missed.add(new Miss(split, m, r, o));
                        }
                        rows.add(new Row(t.entry().checker(), split, kind, mutants.size(), byRollguard, byOwn));
                        if (!mutants.isEmpty()) {
                            progress.printf("  %s %s %s: Rollguard %d, %s alone %d of %d%n", label(split), t.entry().checker(), kind.label,
                                    byRollguard, t.entry().checker(), byOwn, mutants.size());
                            progress.flush();
                        }
                    }
                }
            }
            return new Result(shipped, rows, missed);
        }
    }

    /** The built-in rules and the daemons' checkers: what a push of a daemon's tree runs. */
    private static List<Validator> withDaemons(DaemonConfigValidator daemons) {
        List<Validator> v = new ArrayList<>(Validation.builtInValidators());
        v.add(daemons);
        return v;
    }

    /** The spec declares the tree's daemon: its checker must run (a missing program is an error, not a skip). */
    private static ValidationSettings declared(Corpus.DaemonEntry e) {
        return ValidationSettings.DEFAULT.withDaemons(List.of(new ValidationSettings.DaemonRef(e.checker(), null)));
    }

    private static boolean caught(Mutant m, List<Finding> findings) {
        return findings.stream().anyMatch(f -> f.severity() == FindingSeverity.ERROR && m.path().equals(f.path())
                && Math.abs(f.line() - m.line()) <= 1);
    }

    public static void print(Result r, long seed, PrintWriter out) {
        out.println("daemon corpus as shipped (every error is a false alarm; built-in rules + the daemon's checker):");
        out.printf("%-9s %-16s %-10s %6s %7s%n", "split", "package", "checker", "text", "errors");
        for (Shipped s : r.shipped()) {
            out.printf("%-9s %-16s %-10s %6d %7d%n", label(s.split()), s.pkg(), s.checker(), s.textFiles(), s.errors().size());
        }
        out.println();
        out.println("daemon mistakes (caught: an error names the file at the mutated line ±1; seed " + seed + "):");
        out.printf("%-9s %-10s %-9s %5s %9s %8s %9s %8s%n", "split", "checker", "kind", "seeded", "Rollguard", "recall", "own", "recall");
        for (Split split : List.of(Split.TUNE, Split.HELD_OUT)) {
            List<String> checkers = r.rows().stream().filter(x -> x.split() == split).map(Row::checker).distinct().toList();
            for (String c : checkers) {
                int total = 0;
                int rg = 0;
                int own = 0;
                for (Row x : r.rows()) {
                    if (x.split() != split || !x.checker().equals(c) || x.total() == 0) continue;
                    out.printf("%-9s %-10s %-9s %5d %9d %8s %9d %8s%n", label(split), c, x.kind().label, x.total(), x.rollguard(),
                            pct(x.rollguard(), x.total()), x.own(), pct(x.own(), x.total()));
                    total += x.total();
                    rg += x.rollguard();
                    own += x.own();
                }
                out.printf("%-9s %-10s %-9s %5d %9d %8s %9d %8s%n", label(split), c, "all", total, rg, pct(rg, total), own, pct(own, total));
            }
        }
        out.flush();
    }

    public static void printMistakes(Result r, PrintWriter out) {
        r.shipped().forEach(s -> s.errors().forEach(f -> out.println("false error in " + s.pkg() + ": " + f.render().replace("\n", " "))));
        r.missed().forEach(m -> out.println("missed by " + (m.byRollguard() ? "" : "Rollguard ") + (m.byOwn() ? "" : "own-checker ")
                + m.mutant().checker() + " " + m.mutant().kind().label + " " + m.mutant().description()));
        out.flush();
    }

    private static String label(Split s) { return s == Split.TUNE ? "tune" : "held-out"; }

    private static String pct(int n, int total) { return total == 0 ? "-" : String.format("%.0f%%", 100.0 * n / total); }
}
