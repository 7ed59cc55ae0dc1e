package dev.rollguard.sim;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The judgement benchmark's tables: per seed and in total, Rollguard's detection within the bake beside the
 * same-information reference and their ratio; every judge's outcomes over all seeds; the comparison judges at a matched
 * false-rollback rate; the targets of issue 26, each on each seed.
 */
final class JudgementReport {
    private JudgementReport() {}

    static void print(List<JudgementBenchmark.SeedRun> seeds, int runs, PrintWriter out) {
        List<JudgementBenchmark.Row> total = new ArrayList<>();
        int scenarios = seeds.get(0).rows().size();
        for (int i = 0; i < scenarios; i++) {
            int k = i;
            total.add(JudgementBenchmark.Row.merge(seeds.stream().map(s -> s.rows().get(k)).toList()));
        }
        StringBuilder names = new StringBuilder();
        for (JudgementBenchmark.SeedRun s : seeds) names.append(names.length() == 0 ? "" : ", ").append(s.seed());
        int canaries = seeds.get(0).rows().get(0).scenario().canaries();
        String fleet = canaries == 1
                ? String.format("one canary host against nine baseline hosts (%d s of history; the canary host %d s of its own)",
                        JudgementTraces.LOOKBACK, JudgementTraces.HISTORY)
                : String.format("%d canary hosts against %d baseline hosts (%d s of history; each canary host %d s of its own; Rollguard "
                + "tests the canary hosts' counts pooled, the comparison judges and the reference see them added up as one canary)",
                canaries, JudgementTraces.HOSTS - canaries, JudgementTraces.LOOKBACK, JudgementTraces.HISTORY);
        out.printf("canary judgement: %d releases per scenario and seed (seeds %s), %s, judged every second for %d s%n", runs, names,
                fleet, JudgementTraces.SECONDS);
        out.printf("reference: one single test at the end of the bake with the same evidence (canary's own history + baseline "
                + "hosts), fixed before any scored release is drawn: of its candidates the one that detects most on %d regressed releases "
                + "of the scenario, its threshold set on %d healthy releases of the scenario's family to %.1f %% false rollbacks (both "
                + "drawn once for every seed from a stream of their own), then scored on the releases Rollguard is scored on; ratio = "
                + "Rollguard within the bake / reference%n", JudgementBenchmark.choiceRuns(runs), JudgementBenchmark.calibrationRuns(runs),
                100 * JudgementBenchmark.FALSE_BUDGET);
        out.printf("family unknown: the same candidates, each threshold set instead on the calibration's healthy releases of all six "
                + "families at once (%d of each) to %.1f %%, as a judge that does not know the family must, the test chosen at those "
                + "thresholds on the same regressed calibration releases (its false rollbacks on each seed's healthy releases: below); one look: Rollguard's own statistic (the "
                + "5xx or latency test's z) looked at once at the reference's look, with the reference's threshold (its family, %.1f %%)%n",
                Math.max(1, JudgementBenchmark.calibrationRuns(runs) / 5), 100 * JudgementBenchmark.FALSE_BUDGET,
                100 * JudgementBenchmark.FALSE_BUDGET);
        out.println();
        referenceTable(seeds, total, out);
        out.println();
        referenceFalseTable(seeds, total, out);
        out.println();
        out.println("every judge, all seeds together (healthy rows: false rollbacks; regression rows: detection within 60 s; t = seconds "
                + "to rollback p50/p95; req = canary requests seen at the decision, median):");
        out.println();
        judgesTable(total, out);
        out.println();
        int healthy = 0;
        int[] falseRollbacks = new int[JudgementBenchmark.JUDGES.length];
        for (JudgementBenchmark.SeedRun s : seeds) {
            healthy += s.healthy();
            out.printf("seed %d: %d healthy releases; false rollbacks:", s.seed(), s.healthy());
            for (int j = 0; j < JudgementBenchmark.JUDGES.length; j++) {
                falseRollbacks[j] += s.falseRollbacks(j);
                out.printf(" %s %d (%.2f %%)%s", JudgementBenchmark.JUDGES[j], s.falseRollbacks(j), 100.0 * s.falseRollbacks(j) / s.healthy(),
                        j + 1 < JudgementBenchmark.JUDGES.length ? "," : "");
            }
            out.println();
        }
        out.println();
        List<String> behindMatched = JudgementMatched.print(total, falseRollbacks[0], healthy, out);
        targets(seeds, total, behindMatched, out);
        out.flush();
    }

    private static void referenceTable(List<JudgementBenchmark.SeedRun> seeds, List<JudgementBenchmark.Row> total, PrintWriter out) {
        header(seeds, "| scenario |", "|---|", "Rollguard | reference | ratio | family unknown | ratio |", 5,
                " Rollguard's z, one look | reference's test | family unknown's test |", "---:|---|---|", out);
        for (int i = 0; i < total.size(); i++) {
            JudgementBenchmark.Row t = total.get(i);
            StringBuilder line = new StringBuilder("| ").append(t.scenario().name());
            if (!t.scenario().healthy() && t.bakeEnd() != JudgementBenchmark.BAKE) line.append(" (bake 2: by ").append(t.bakeEnd()).append(" s)");
            line.append(" |");
            for (JudgementBenchmark.SeedRun s : seeds) line.append(cells(s.rows().get(i)));
            if (seeds.size() > 1) line.append(cells(t));
            line.append(t.reference() == null ? " - | - | - |" : String.format(" %.1f %% | %s | %s |", 100 * t.oneLook(),
                    t.reference().test().label, t.unknownFamily().test().label));
            out.println(line);
        }
    }

    /**
     * A table's header and rule: its first columns, then {@code perSeed} ({@code columns} numeric columns) for each seed and,
     * with more than one, for all seeds together, then its last columns.
     */
    private static void header(List<JudgementBenchmark.SeedRun> seeds, String first, String firstRule, String perSeed, int columns,
                               String last, String lastRule, PrintWriter out) {
        StringBuilder header = new StringBuilder(first);
        StringBuilder rule = new StringBuilder(firstRule);
        List<String> groups = new ArrayList<>();
        for (JudgementBenchmark.SeedRun s : seeds) groups.add("seed " + s.seed());
        if (seeds.size() > 1) groups.add("all seeds");
        for (String g : groups) {
            header.append(' ').append(g).append(": ").append(perSeed);
            rule.append("---:|".repeat(columns));
        }
        out.println(header.append(last));
        out.println(rule.append(lastRule));
    }

    /**
     * The reference's false rollbacks where its threshold was set: on each seed's healthy releases of the scenario's family,
     * drawn as the scored releases are (not its calibration's), at its look; Rollguard's on the same releases beside it.
     */
    private static void referenceFalseTable(List<JudgementBenchmark.SeedRun> seeds, List<JudgementBenchmark.Row> total, PrintWriter out) {
        JudgementBenchmark.Row first = total.stream().filter(r -> !r.scenario().healthy()).findFirst().orElseThrow();
        out.printf("the reference's own false rollbacks: on each seed's %d healthy releases of the scenario's family (drawn as the scored "
                + "releases are, never its calibration), its test at its threshold and look; Rollguard's on the same releases, within %d s; "
                + "and the reference's detection on the regressed calibration releases it was chosen on:%n",
                first.familyHealthy() / seeds.size(), JudgementTraces.SECONDS);
        out.println();
        header(seeds, "| scenario | reference's test | threshold | detected on its calibration releases |", "|---|---|---:|---:|",
                "reference | Rollguard |", 2, "", "", out);
        for (int i = 0; i < total.size(); i++) {
            JudgementBenchmark.Row t = total.get(i);
            if (t.scenario().healthy()) continue;
            StringBuilder line = new StringBuilder("| ").append(t.scenario().name()).append(" | ").append(t.reference().test().label)
                    .append(String.format(" | %.3f | %.1f %% |", t.reference().threshold(), 100 * t.reference().calibrated()));
            for (JudgementBenchmark.SeedRun s : seeds) line.append(falseCells(s.rows().get(i)));
            if (seeds.size() > 1) line.append(falseCells(t));
            out.println(line);
        }
    }

    private static String falseCells(JudgementBenchmark.Row r) {
        return String.format(" %d (%.2f %%) | %d (%.2f %%) |", r.referenceFalse(), 100.0 * r.referenceFalse() / r.familyHealthy(),
                r.rollguardFalse(), 100.0 * r.rollguardFalse() / r.familyHealthy());
    }

    /**
     * Healthy rows: Rollguard's false rollbacks within 60 s; regressions: its detection within the bake, the reference and
     * the ratio, the reference that does not know the family and the ratio.
     */
    private static String cells(JudgementBenchmark.Row r) {
        if (r.reference() == null) return String.format(" %.1f %% | - | - | - | - |", 100 * r.rate(0));
        return String.format(" %.1f %% |%s%s", 100 * r.inBake(), against(r.inBake(), r.reference()), against(r.inBake(), r.unknownFamily()));
    }

    private static String against(double detected, JudgementReference.Result reference) {
        double ref = reference.detection();
        return String.format(" %.1f %% | %s |", 100 * ref, ref == 0 ? "-" : String.format("%.2f", detected / ref));
    }

    private static void judgesTable(List<JudgementBenchmark.Row> rows, PrintWriter out) {
        StringBuilder header = new StringBuilder("| scenario | Rollguard failed on |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (String j : JudgementBenchmark.JUDGES) {
            header.append(' ').append(j).append(" | t | req |");
            rule.append("---:|---:|---:|");
        }
        out.println(header);
        out.println(rule);
        for (JudgementBenchmark.Row r : rows) {
            StringBuilder why = new StringBuilder();
            r.why().forEach((k, v) -> why.append(why.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
            StringBuilder line = new StringBuilder("| ").append(r.scenario().name()).append(" | ")
                    .append(why.length() == 0 ? "-" : why).append(" |");
            for (int j = 0; j < JudgementBenchmark.JUDGES.length; j++) {
                int p50 = r.percentile(j, 0.5);
                line.append(String.format(" %.1f %% | %s | %d |", 100 * r.rate(j),
                        p50 < 0 ? "-" : p50 + "/" + r.percentile(j, 0.95), r.medianEvidence(j)));
            }
            out.println(line);
        }
    }

    private static void targets(List<JudgementBenchmark.SeedRun> seeds, List<JudgementBenchmark.Row> total, List<String> behindMatched,
                                PrintWriter out) {
        out.println("targets (issue 26), each on each seed:");
        for (JudgementBenchmark.SeedRun s : seeds) {
            double fr = (double) s.falseRollbacks(0) / s.healthy();
            int fewestOther = Integer.MAX_VALUE;
            for (int j = 1; j < JudgementBenchmark.JUDGES.length; j++) fewestOther = Math.min(fewestOther, s.falseRollbacks(j));
            target(out, String.format("seed %d: false rollbacks <= %.1f %% and fewer than every comparison judge: %.2f %% (%d of %d; theirs at "
                    + "least %d)", s.seed(), 100 * JudgementBenchmark.FALSE_BUDGET, 100 * fr, s.falseRollbacks(0), s.healthy(), fewestOther),
                    fr <= JudgementBenchmark.FALSE_BUDGET && s.falseRollbacks(0) < fewestOther);
            List<String> below = new ArrayList<>();
            double worst = Double.POSITIVE_INFINITY;
            for (JudgementBenchmark.Row r : s.rows()) {
                if (r.reference() == null || r.reference().detection() == 0) continue;
                double ratio = r.inBake() / r.reference().detection();
                worst = Math.min(worst, ratio);
                if (ratio < 0.9) below.add(String.format("%s %.2f", r.scenario().name(), ratio));
            }
            target(out, String.format("seed %d: every regression detected within its bake at >= 0.90 of the reference (lowest %.2f)%s", s.seed(),
                    worst, below.isEmpty() ? "" : "; below: " + String.join(", ", below)), below.isEmpty());
            JudgementBenchmark.Row worstUnknown = s.rows().stream().filter(r -> r.unknownFamily() != null && r.unknownFamily().detection() > 0)
                    .min(Comparator.comparingDouble(r -> r.inBake() / r.unknownFamily().detection())).orElse(null);
            if (worstUnknown != null) {
                out.printf("  [info] seed %d: against the reference that does not know the family, the lowest ratio is %.2f (%s; that reference's "
                        + "test rolls back %d of this seed's %d healthy releases)%n", s.seed(), worstUnknown.inBake() / worstUnknown.unknownFamily().detection(),
                        worstUnknown.scenario().name(), worstUnknown.unknownFalse(), s.healthy());
            }
            for (JudgementBenchmark.Row r : s.rows()) {
                String name = r.scenario().name();
                int n = r.at()[0].length;
                switch (r.scenario().target()) {
                    case WITHIN_ONE_SECOND -> target(out, String.format("seed %d: %s within 1 s: %.1f %%", s.seed(), name, 100.0 * r.count(0, 1) / n),
                            r.count(0, 1) == n);
                    case WITHIN_BAKE -> {
                        if (JudgementReference.metric(r.scenario()) == JudgementReference.Metric.LATENCY) {
                            target(out, String.format("seed %d: %s within the %d-s bake: %.1f %%", s.seed(), name, JudgementBenchmark.BAKE,
                                    100.0 * r.count(0, JudgementBenchmark.BAKE) / n), r.count(0, JudgementBenchmark.BAKE) == n);
                        }
                    }
                    case NONE -> { }
                }
            }
        }
        target(out, "every regression detected at least as often as by the better comparison judge at a matched false-rollback rate (all seeds)"
                + (behindMatched.isEmpty() ? "" : "; behind on: " + String.join(", ", behindMatched)), behindMatched.isEmpty());
    }

    private static void target(PrintWriter out, String what, boolean met) {
        out.printf("  [%s] %s%n", met ? "met" : "NOT MET", what);
    }
}
