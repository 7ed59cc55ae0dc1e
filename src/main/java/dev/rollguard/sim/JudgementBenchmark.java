package dev.rollguard.sim;

import dev.rollguard.config.AnalysisSettings;
import dev.rollguard.rollout.Analysis;
import dev.rollguard.rollout.Evidence;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The canary-judgement benchmark: seeded synthetic releases ({@link JudgementTraces}) judged second by second by
 * Rollguard's analysis (the same {@link Analysis#decide(Evidence, AnalysisSettings)} the rollout machine calls), a
 * Kayenta-style Mann-Whitney judge and a Flagger-style fixed threshold. A release is rolled back at the first failing
 * verdict, else it passes; the table gives per scenario the share rolled back (false rollbacks for healthy releases,
 * detection for regressions), the seconds to the rollback (p50/p95) and the canary requests seen by then.
 */
public final class JudgementBenchmark {
    /** The default bake of a wave: the targets on detection are within it. */
    public static final int BAKE = 30;
    static final String[] JUDGES = {"Rollguard", "Kayenta-style MW", "Flagger-style"};

    /** One judge's outcome on one release: rolled back at second {@code at} (0 if it passed), canary requests seen. */
    record Outcome(int at, long evidence, String why) {
        boolean rolledBack() { return at > 0; }
    }

    /** All judges' outcomes of one scenario. */
    /** All judges' outcomes of one release; also each tuned comparison setting's second of rollback (0: passed). */
    record Release(Outcome[] outcomes, int[] kayentaAt, int[] flaggerAt) {}

    /**
     * All judges' outcomes of one scenario: per judge and run; {@code kayentaAt} and {@code flaggerAt} per grid point of
     * {@link JudgementMatched} and run.
     */
    public record Row(JudgementTraces.Scenario scenario, int[][] at, long[][] evidence, Map<String, Integer> why, int[][] kayentaAt,
                      int[][] flaggerAt) {
        double rate(int judge) { return (double) count(judge, JudgementTraces.SECONDS) / at[judge].length; }

        int count(int judge, int within) {
            int c = 0;
            for (int a : at[judge]) if (a > 0 && a <= within) c++;
            return c;
        }

        int percentile(int judge, double q) {
            int[] t = Arrays.stream(at[judge]).filter(a -> a > 0).sorted().toArray();
            return t.length == 0 ? -1 : t[Math.min(t.length - 1, (int) Math.ceil(q * t.length) - 1)];
        }

        long medianEvidence(int judge) {
            long[] e = evidence[judge].clone();
            Arrays.sort(e);
            return e[e.length / 2];
        }
    }

    private JudgementBenchmark() {}

    public static List<Row> run(long seed, int runs, AnalysisSettings settings) {
        List<Row> rows = new ArrayList<>();
        List<JudgementTraces.Scenario> scenarios = JudgementTraces.scenarios();
        for (int si = 0; si < scenarios.size(); si++) {
            JudgementTraces.Scenario s = scenarios.get(si);
            long scenarioSeed = seed * 1_000_003L + si;
            Release[] results = IntStream.range(0, runs).parallel()
                    .mapToObj(run -> release(s, new SplittableRandom(scenarioSeed * 7_919L + run), settings))
                    .toArray(Release[]::new);
            int[][] at = new int[JUDGES.length][runs];
            long[][] evidence = new long[JUDGES.length][runs];
            int[][] kayentaAt = new int[JudgementMatched.KAYENTA.size()][runs];
            int[][] flaggerAt = new int[JudgementMatched.FLAGGER.size()][runs];
            for (int run = 0; run < runs; run++) {
                for (int j = 0; j < JUDGES.length; j++) {
                    at[j][run] = results[run].outcomes()[j].at();
                    evidence[j][run] = results[run].outcomes()[j].evidence();
                }
                for (int g = 0; g < kayentaAt.length; g++) kayentaAt[g][run] = results[run].kayentaAt()[g];
                for (int g = 0; g < flaggerAt.length; g++) flaggerAt[g][run] = results[run].flaggerAt()[g];
            }
            Map<String, Integer> why = new TreeMap<>();
            for (Release o : results) if (o.outcomes()[0].why() != null) why.merge(o.outcomes()[0].why(), 1, Integer::sum);
            rows.add(new Row(s, at, evidence, why, kayentaAt, flaggerAt));
        }
        return rows;
    }

    static Release release(JudgementTraces.Scenario s, SplittableRandom rnd, AnalysisSettings settings) {
        JudgementTraces.Trace trace = JudgementTraces.generate(s, rnd);
        Outcome[] out = new Outcome[JUDGES.length];
        FlaggerStyleJudge flagger = new FlaggerStyleJudge();
        List<FlaggerStyleJudge> tuned = JudgementMatched.FLAGGER.stream()
                .map(f -> new FlaggerStyleJudge(f.minSuccessPercent(), f.maxP99Millis(), f.threshold())).toList();
        int[] kayentaAt = new int[JudgementMatched.KAYENTA.size()];
        int[] flaggerAt = new int[tuned.size()];
        long seen = 0;
        int end = JudgementTraces.SECONDS;
        for (int t = 1; t <= end; t++) {
            seen += trace.canary().get(t - 1).requests();
            if (out[0] == null) {
                Analysis.Decision d = Analysis.decide(trace.at(t), settings);
                if (d.verdict() == Analysis.Verdict.FAIL) out[0] = new Outcome(t, seen, d.check().label());
            }
            if (out[1] == null && KayentaStyleJudge.fails(trace, t, end)) out[1] = new Outcome(t, seen, null);
            if (out[2] == null && flagger.fails(trace, t)) out[2] = new Outcome(t, seen, null);
            boolean[] k = KayentaStyleJudge.fails(trace, t, end, JudgementMatched.KAYENTA);
            for (int g = 0; g < k.length; g++) if (kayentaAt[g] == 0 && k[g]) kayentaAt[g] = t;
            for (int g = 0; g < flaggerAt.length; g++) if (flaggerAt[g] == 0 && tuned.get(g).fails(trace, t)) flaggerAt[g] = t;
        }
        for (int j = 0; j < out.length; j++) if (out[j] == null) out[j] = new Outcome(0, seen, null);
        return new Release(out, kayentaAt, flaggerAt);
    }


    public static void print(List<Row> rows, long seed, int runs, PrintWriter out) {
        out.printf("canary judgement: %d releases per scenario (seed %d), one canary host against nine baseline hosts (60 s of "
                + "history), judged every second for %d s%n", runs, seed, JudgementTraces.SECONDS);
        out.println("healthy rows: false rollbacks; regression rows: detection. t = seconds to rollback p50/p95; "
                + "req = canary requests seen at the decision (median)");
        out.println();
        StringBuilder header = new StringBuilder("| scenario | Rollguard failed on |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (String j : JUDGES) {
            header.append(' ').append(j).append(" | t | req |");
            rule.append("---:|---:|---:|");
        }
        out.println(header);
        out.println(rule);
        for (Row r : rows) {
            StringBuilder why = new StringBuilder();
            r.why().forEach((k, v) -> why.append(why.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
            StringBuilder line = new StringBuilder("| ").append(r.scenario().name()).append(" | ")
                    .append(why.length() == 0 ? "-" : why).append(" |");
            for (int j = 0; j < JUDGES.length; j++) {
                int p50 = r.percentile(j, 0.5);
                line.append(String.format(" %.1f %% | %s | %d |", 100 * r.rate(j),
                        p50 < 0 ? "-" : p50 + "/" + r.percentile(j, 0.95), r.medianEvidence(j)));
            }
            out.println(line);
        }
        out.println();
        int healthy = 0;
        int[] falseRollbacks = new int[JUDGES.length];
        for (Row r : rows) {
            if (!r.scenario().healthy()) continue;
            healthy += r.at()[0].length;
            for (int j = 0; j < JUDGES.length; j++) falseRollbacks[j] += r.count(j, JudgementTraces.SECONDS);
        }
        out.printf("healthy releases: %d; false rollbacks:", healthy);
        for (int j = 0; j < JUDGES.length; j++) {
            out.printf(" %s %d (%.2f %%)%s", JUDGES[j], falseRollbacks[j], 100.0 * falseRollbacks[j] / healthy, j + 1 < JUDGES.length ? "," : "");
        }
        out.println();
        out.println();
        List<String> behindMatched = JudgementMatched.print(rows, falseRollbacks[0], healthy, out);
        out.println("targets (issue 18):");
        double fr = 100.0 * falseRollbacks[0] / healthy;
        target(out, String.format("false rollbacks <= 0.5 %% and fewer than both others: %.2f %% (%d vs %d and %d)", fr, falseRollbacks[0],
                falseRollbacks[1], falseRollbacks[2]), fr <= 0.5 && falseRollbacks[0] < falseRollbacks[1] && falseRollbacks[0] < falseRollbacks[2]);
        for (Row r : rows) {
            String name = r.scenario().name();
            int n = r.at()[0].length;
            switch (r.scenario().target()) {
                case WITHIN_ONE_SECOND -> target(out, String.format("%s within 1 s: %.1f %%", name, 100.0 * r.count(0, 1) / n),
                        r.count(0, 1) >= 0.99 * n);
                case WITHIN_BAKE -> target(out, String.format("%s within the %d-s bake: %.1f %%", name, BAKE, 100.0 * r.count(0, BAKE) / n),
                        r.count(0, BAKE) >= 0.95 * n);
                case NONE -> { }
            }
        }
        List<String> behind = new ArrayList<>();
        for (Row r : rows) {
            if (r.scenario().healthy()) continue;
            int best = Math.max(r.count(1, JudgementTraces.SECONDS), r.count(2, JudgementTraces.SECONDS));
            if (r.count(0, JudgementTraces.SECONDS) < best) behind.add(r.scenario().name());
        }
        target(out, "every regression detected at least as often as by the better comparison judge (literal: at the judges' "
                + "default settings, whatever their false rollbacks)" + (behind.isEmpty() ? "" : "; behind on: " + String.join(", ", behind)),
                behind.isEmpty());
        target(out, "every regression detected at least as often as by the better comparison judge at a matched false-rollback rate"
                + (behindMatched.isEmpty() ? "" : "; behind on: " + String.join(", ", behindMatched)), behindMatched.isEmpty());
        out.flush();
    }

    private static void target(PrintWriter out, String what, boolean met) {
        out.printf("  [%s] %s%n", met ? "met" : "NOT MET", what);
    }
}
