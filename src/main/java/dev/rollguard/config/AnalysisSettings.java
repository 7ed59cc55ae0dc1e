package dev.rollguard.config;

import dev.rollguard.rollout.Analysis;

/**
 * The canary judge's thresholds, as a service spec sets them under {@code rollout.analysis}; every field has a default
 * ({@link Analysis} reads them).
 *
 * <p>The false-alarm budget: {@code alpha} (5xx test) plus {@code latencyAlpha} (latency test) is 0.5 % over a rollout,
 * {@code firstBakeShare} of each spent in the first bake. Most of it goes to the 5xx test: a 5xx regression near the
 * information limit (+0.5 pp on a 1 % host) is decided by the last look of the bake, where every tenth of z counts; latency
 * regressions move the slow share far more per request (p99 +20 % is caught every time at 0.02 %), and the latency test had
 * no false rollbacks in the benchmark at 0.1 % (docs/benchmarks.md, "The canary judge").
 */
public record AnalysisSettings(Double alpha, Double beta, Double ratio, Double delta, Double baselineFloor,
                               Double maxErrorRate, Integer minErrorCount, Double latencyTolerance, Double latencySlackMillis,
                               Integer minLatencySamples, Double failFastErrorRate, Integer burstSeconds, Double hostSpread,
                               Double latencyQuantile, Double latencyRatio, Double latencyDelta, Double latencyAlpha,
                               Integer horizonSeconds, Double firstBakeShare) {
    public static final AnalysisSettings DEFAULT = new AnalysisSettings(null, null, null, null, null, null, null, null, null, null);

    public AnalysisSettings {
        alpha = alpha == null ? 0.0048 : alpha;
        beta = beta == null ? 0.05 : beta;
        ratio = ratio == null ? 2.0 : ratio;
        delta = delta == null ? 0.01 : delta;
        baselineFloor = baselineFloor == null ? 0.001 : baselineFloor;
        maxErrorRate = maxErrorRate == null ? 0.05 : maxErrorRate;
        minErrorCount = minErrorCount == null ? 5 : minErrorCount;
        latencyTolerance = latencyTolerance == null ? 1.5 : latencyTolerance;
        latencySlackMillis = latencySlackMillis == null ? 50.0 : latencySlackMillis;
        minLatencySamples = minLatencySamples == null ? 200 : minLatencySamples;
        failFastErrorRate = failFastErrorRate == null ? 0.5 : failFastErrorRate;
        burstSeconds = burstSeconds == null ? 10 : burstSeconds;
        hostSpread = hostSpread == null ? 0.0 : hostSpread;
        latencyQuantile = latencyQuantile == null ? 0.95 : latencyQuantile;
        latencyRatio = latencyRatio == null ? 2.0 : latencyRatio;
        latencyDelta = latencyDelta == null ? 0.02 : latencyDelta;
        latencyAlpha = latencyAlpha == null ? 0.0002 : latencyAlpha;
        horizonSeconds = horizonSeconds == null ? 30 : horizonSeconds;
        firstBakeShare = firstBakeShare == null ? 0.95 : firstBakeShare;
        if (horizonSeconds < 1) throw new IllegalArgumentException("horizonSeconds must be >= 1");
        if (firstBakeShare <= 0 || firstBakeShare > 1) throw new IllegalArgumentException("firstBakeShare must be in (0, 1]");
        if (alpha <= 0 || alpha >= 1 || beta <= 0 || beta >= 1 || latencyAlpha <= 0 || latencyAlpha >= 1) {
            throw new IllegalArgumentException("alpha, latencyAlpha and beta must be in (0, 1)");
        }
        if (ratio < 1 || latencyRatio < 1) throw new IllegalArgumentException("ratio and latencyRatio must be >= 1");
        if (delta < 0 || latencyDelta < 0 || baselineFloor <= 0 || baselineFloor >= 0.5) {
            throw new IllegalArgumentException("delta and latencyDelta must be >= 0, baselineFloor in (0, 0.5)");
        }
        if (failFastErrorRate <= 0 || failFastErrorRate > 1) throw new IllegalArgumentException("failFastErrorRate must be in (0, 1]");
        if (burstSeconds < 0 || hostSpread < 0) throw new IllegalArgumentException("burstSeconds and hostSpread must be >= 0");
        if (latencyQuantile <= 0.5 || latencyQuantile >= 1) throw new IllegalArgumentException("latencyQuantile must be in (0.5, 1)");
    }

    /** The ten settings of earlier releases; the rest take their defaults. */
    public AnalysisSettings(Double alpha, Double beta, Double ratio, Double delta, Double baselineFloor, Double maxErrorRate,
                            Integer minErrorCount, Double latencyTolerance, Double latencySlackMillis, Integer minLatencySamples) {
        this(alpha, beta, ratio, delta, baselineFloor, maxErrorRate, minErrorCount, latencyTolerance, latencySlackMillis,
                minLatencySamples, null, null, null, null, null, null, null, null, null);
    }
}
