package dev.rollguard.rollout;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.rollguard.health.Counts;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Canary analysis: hosts on the new version (canary) against hosts still on the old one (baseline).
 * <ul>
 *   <li>a sequential probability ratio test on the canary's 5xx fraction (Bernoulli): H0 p = p_base,
 *   H1 p = max(k·p_base, p_base + δ), error rates α (false alarm) and β (missed regression);</li>
 *   <li>hard guards that fail at once: 5xx rate above an absolute ceiling with a minimum count;</li>
 *   <li>latency: canary p99 above baseline p99 × tolerance + slack, with a minimum of samples.</li>
 * </ul>
 * Pure: same counts in, same decision out.
 */
public final class Analysis {
    public enum Verdict { PASS, FAIL, CONTINUE }

    public record Decision(Verdict verdict, String reason, Map<String, Object> numbers) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Settings(Double alpha, Double beta, Double ratio, Double delta, Double baselineFloor,
                           Double maxErrorRate, Integer minErrorCount, Double latencyTolerance, Double latencySlackMillis,
                           Integer minLatencySamples) {
        public static final Settings DEFAULT = new Settings(null, null, null, null, null, null, null, null, null, null);

        public Settings {
            alpha = alpha == null ? 0.01 : alpha;
            beta = beta == null ? 0.05 : beta;
            ratio = ratio == null ? 2.0 : ratio;
            delta = delta == null ? 0.01 : delta;
            baselineFloor = baselineFloor == null ? 0.001 : baselineFloor;
            maxErrorRate = maxErrorRate == null ? 0.05 : maxErrorRate;
            minErrorCount = minErrorCount == null ? 5 : minErrorCount;
            latencyTolerance = latencyTolerance == null ? 1.5 : latencyTolerance;
            latencySlackMillis = latencySlackMillis == null ? 50.0 : latencySlackMillis;
            minLatencySamples = minLatencySamples == null ? 200 : minLatencySamples;
            if (alpha <= 0 || alpha >= 1 || beta <= 0 || beta >= 1) throw new IllegalArgumentException("alpha and beta must be in (0, 1)");
        }
    }

    private Analysis() {}

    public static Decision decide(Counts canary, Counts baseline, Settings s) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("canaryRequests", canary.requests());
        n.put("canaryErrors", canary.errors());
        n.put("canaryErrorRate", round(canary.errorRate()));
        n.put("baselineRequests", baseline.requests());
        n.put("baselineErrors", baseline.errors());
        n.put("baselineErrorRate", round(baseline.errorRate()));
        if (canary.errors() >= s.minErrorCount() && canary.errorRate() > s.maxErrorRate()) {
            return new Decision(Verdict.FAIL, String.format("canary 5xx rate %.2f%% is over the %.2f%% ceiling (%d of %d requests)",
                    100 * canary.errorRate(), 100 * s.maxErrorRate(), canary.errors(), canary.requests()), n);
        }
        double p0 = Math.min(0.5, Math.max(s.baselineFloor(), baseline.errorRate()));
        double p1 = Math.min(0.99, Math.max(s.ratio() * p0, p0 + s.delta()));
        long x = canary.errors();
        long m = canary.requests() - x;
        double llr = x * Math.log(p1 / p0) + m * Math.log((1 - p1) / (1 - p0));
        double upper = Math.log((1 - s.beta()) / s.alpha());
        double lower = Math.log(s.beta() / (1 - s.alpha()));
        n.put("p0", round(p0));
        n.put("p1", round(p1));
        n.put("llr", round(llr));
        n.put("llrFailAt", round(upper));
        n.put("llrPassAt", round(lower));
        if (llr >= upper) {
            return new Decision(Verdict.FAIL, String.format("SPRT: canary 5xx rate %.3f%% is significantly above baseline %.3f%% "
                    + "(LLR %.2f >= %.2f)", 100 * canary.errorRate(), 100 * baseline.errorRate(), llr, upper), n);
        }
        if (canary.latencySamples() >= s.minLatencySamples() && baseline.latencySamples() >= s.minLatencySamples()) {
            double limit = baseline.p99Millis() * s.latencyTolerance() + s.latencySlackMillis();
            n.put("canaryP99Ms", round(canary.p99Millis()));
            n.put("baselineP99Ms", round(baseline.p99Millis()));
            if (canary.p99Millis() > limit) {
                return new Decision(Verdict.FAIL, String.format("canary p99 %.0f ms is over %.0f ms (baseline p99 %.0f ms)",
                        canary.p99Millis(), limit, baseline.p99Millis()), n);
            }
        }
        if (llr <= lower) return new Decision(Verdict.PASS, "SPRT: canary 5xx rate is not above baseline", n);
        return new Decision(Verdict.CONTINUE, "collecting evidence", n);
    }

    private static double round(double v) {
        return Math.round(v * 100_000) / 100_000.0;
    }
}
