package dev.rollguard.sim;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The fair comparison of the judgement benchmark: each comparison judge tuned on the healthy releases until it rolls back
 * no more of them than Rollguard does, then its detection on the same regression traces. A judge that always rolls back
 * detects everything, so detection alone says nothing; at a matched false-rollback rate it does.
 *
 * <p>The grids (every point is judged on every release of the run, so the choice is made on the very traces it is scored
 * on, which can only favour the comparison judges):
 * <ul>
 *   <li>Kayenta-style: confidence level 0.98 (default), 0.99, 0.995, 0.999, 0.9999 × effect size {@code allowedIncrease}
 *   1.0 (default), 1.25, 1.5, 2, 3;</li>
 *   <li>Flagger-style: {@code request-success-rate} minimum 99 % (default), 98.5, 98, 97.5, 97, 96, 95, 93, 90 % ×
 *   {@code request-duration} maximum (p99) 500 ms (default), 300, 200 × {@code threshold} (consecutive failed checks) 5
 *   (default), 10, 15, 20, 30.</li>
 * </ul>
 * The chosen point is the one with most detections over all regression scenarios among those within Rollguard's false
 * rollbacks; when none is, the one with fewest false rollbacks (and the table says it is not matched).
 */
final class JudgementMatched {
    static final List<KayentaStyleJudge.Setting> KAYENTA = kayentaGrid();
    static final List<Flagger> FLAGGER = flaggerGrid();

    /** One Flagger-style setting. */
    record Flagger(double minSuccessPercent, double maxP99Millis, int threshold) {
        @Override public String toString() {
            return String.format("success rate >= %s %%, p99 <= %.0f ms, %d checks", minSuccessPercent, maxP99Millis, threshold);
        }
    }

    /** The point chosen for one comparison judge: its index in the grid, its false rollbacks, and whether they are matched. */
    record Choice(int index, String setting, int falseRollbacks, boolean matched) {}

    private JudgementMatched() {}

    private static List<KayentaStyleJudge.Setting> kayentaGrid() {
        List<KayentaStyleJudge.Setting> g = new ArrayList<>();
        for (double c : new double[] {0.98, 0.99, 0.995, 0.999, 0.9999}) {
            for (double e : new double[] {1.0, 1.25, 1.5, 2, 3}) g.add(new KayentaStyleJudge.Setting(c, e));
        }
        return List.copyOf(g);
    }

    private static List<Flagger> flaggerGrid() {
        List<Flagger> g = new ArrayList<>();
        for (double m : new double[] {99, 98.5, 98, 97.5, 97, 96, 95, 93, 90}) {
            for (double l : new double[] {500, 300, 200}) {
                for (int t : new int[] {5, 10, 15, 20, 30}) g.add(new Flagger(m, l, t));
            }
        }
        return List.copyOf(g);
    }

    /** {@code at.apply(row)[setting][run]}: second of rollback or 0; the chosen setting within {@code budget} false rollbacks. */
    static Choice choose(List<JudgementBenchmark.Row> rows, Function<JudgementBenchmark.Row, int[][]> at,
                         List<?> grid, int budget) {
        int best = -1;
        int bestDetected = -1;
        int fewest = -1;
        int fewestFalse = Integer.MAX_VALUE;
        int[] falseRollbacks = new int[grid.size()];
        for (int g = 0; g < grid.size(); g++) {
            int detected = 0;
            for (JudgementBenchmark.Row r : rows) {
                int c = 0;
                for (int a : at.apply(r)[g]) if (a > 0) c++;
                if (r.scenario().healthy()) falseRollbacks[g] += c; else detected += c;
            }
            if (falseRollbacks[g] < fewestFalse) {
                fewestFalse = falseRollbacks[g];
                fewest = g;
            }
            if (falseRollbacks[g] <= budget && detected > bestDetected) {
                bestDetected = detected;
                best = g;
            }
        }
        int chosen = best >= 0 ? best : fewest;
        return new Choice(chosen, grid.get(chosen).toString(), falseRollbacks[chosen], best >= 0);
    }

    static double rate(int[] at) {
        int c = 0;
        for (int a : at) if (a > 0) c++;
        return (double) c / at.length;
    }

    static int count(int[] at) {
        int c = 0;
        for (int a : at) if (a > 0) c++;
        return c;
    }

    /** The matched table and the regressions on which Rollguard detects less than the best matched judge. */
    static List<String> print(List<JudgementBenchmark.Row> rows, int rollguardFalse, int healthy, PrintWriter out) {
        Choice k = choose(rows, JudgementBenchmark.Row::kayentaAt, KAYENTA, rollguardFalse);
        Choice ko = choose(rows, JudgementBenchmark.Row::kayentaOwnAt, KAYENTA, rollguardFalse);
        Choice f = choose(rows, JudgementBenchmark.Row::flaggerAt, FLAGGER, rollguardFalse);
        out.printf("at a matched false-rollback rate (each comparison judge tuned on these healthy releases to at most Rollguard's %d "
                + "of %d; grid in sim/JudgementMatched.java):%n", rollguardFalse, healthy);
        line(out, "Kayenta-style MW", k);
        line(out, "Kayenta-style MW + own history", ko);
        line(out, "Flagger-style", f);
        out.println();
        out.println("| scenario | Rollguard | Kayenta-style MW, matched | Kayenta-style MW + own history, matched | Flagger-style, matched |");
        out.println("|---|---:|---:|---:|---:|");
        List<String> behind = new ArrayList<>();
        for (JudgementBenchmark.Row r : rows) {
            int[] kAt = r.kayentaAt()[k.index()];
            int[] koAt = r.kayentaOwnAt()[ko.index()];
            int[] fAt = r.flaggerAt()[f.index()];
            out.printf("| %s | %.1f %% | %.1f %% | %.1f %% | %.1f %% |%n", r.scenario().name(), 100 * rate(r.at()[0]), 100 * rate(kAt),
                    100 * rate(koAt), 100 * rate(fAt));
            int best = Math.max(Math.max(k.matched() ? count(kAt) : 0, ko.matched() ? count(koAt) : 0), f.matched() ? count(fAt) : 0);
            if (!r.scenario().healthy() && count(r.at()[0]) < best) behind.add(r.scenario().name());
        }
        out.println();
        return behind;
    }

    private static void line(PrintWriter out, String judge, Choice c) {
        out.printf("  %s: %s -> %d false rollbacks%s%n", judge, c.setting(), c.falseRollbacks(),
                c.matched() ? "" : " (no grid point is within the budget)");
    }
}
