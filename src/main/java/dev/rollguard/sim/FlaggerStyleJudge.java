package dev.rollguard.sim;

import dev.rollguard.rollout.Evidence;

/**
 * A Flagger-style fixed-threshold judge for the judgement benchmark, with Flagger's documented built-in checks
 * (docs.flagger.app, usage/metrics): {@code request-success-rate} {@code thresholdRange.min: 99} (non-5xx share, %) and
 * {@code request-duration} {@code thresholdRange.max: 500} (p99, ms), and {@code analysis.threshold: 5}, the number of
 * failed checks before a rollback in Flagger's examples. Checked every second over the last second's window (Flagger's
 * interval scaled to this benchmark's one-second reports); a rollback after 5 consecutive failed checks. A second
 * without requests is no check (Flagger's query has no value).
 */
public final class FlaggerStyleJudge {
    public static final double MIN_SUCCESS_PERCENT = 99;
    public static final double MAX_P99_MILLIS = 500;
    public static final int THRESHOLD = 5;

    private final double minSuccessPercent;
    private final double maxP99Millis;
    private final int threshold;
    private int failed;

    public FlaggerStyleJudge() {
        this(MIN_SUCCESS_PERCENT, MAX_P99_MILLIS, THRESHOLD);
    }

    /** With other limits and number of consecutive failed checks (the benchmark's matched comparison tunes all three). */
    public FlaggerStyleJudge(double minSuccessPercent, double maxP99Millis, int threshold) {
        this.minSuccessPercent = minSuccessPercent;
        this.maxP99Millis = maxP99Millis;
        this.threshold = threshold;
    }

    /** The check of second t (the window that ended at t); true once {@code threshold} consecutive checks failed. */
    public boolean fails(JudgementTraces.Trace trace, int t) {
        Evidence.Window w = trace.canary().get(t - 1);
        if (w.requests() == 0) return false;
        double success = 100.0 * (w.requests() - w.errors()) / w.requests();
        double p99 = JudgementTraces.quantile(w.latencyBuckets(), w.requests(), 0.99);
        if (success < minSuccessPercent || p99 > maxP99Millis) failed++; else failed = 0;
        return failed >= threshold;
    }
}
