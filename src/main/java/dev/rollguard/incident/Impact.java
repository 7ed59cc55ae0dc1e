package dev.rollguard.incident;

import dev.rollguard.health.HealthStore;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an incident cost, computed from the hosts' own health reports: failed requests, the worst second's
 * share of failed traffic, hosts hit, and the times from the first 5xx to detection, mitigation and recovery.
 */
public record Impact(long requestsTotal, long requestsFailed, double percentFailed, double peakPercent, int hostsAffected,
                     int hostsTotal, Instant firstErrorAt, Instant lastErrorAt, Instant detectedAt, Instant mitigatedAt,
                     Instant recoveredAt, Long timeToDetectMillis, Long timeToMitigateMillis, Long timeToRecoverMillis) {

    public static final Impact NONE = new Impact(0, 0, 0, 0, 0, 0, null, null, null, null, null, null, null, null);

    /**
     * @param samples    every host of the environment with its samples
     * @param badVersion count only failures of hosts that failed on this version (a rollout's bad version); null: every failure
     * @param from       start of the window (the rollout's start, or the breach window's)
     * @param to         end of the window (recovery, or now while it lasts)
     */
    public static Impact compute(Map<String, List<HealthStore.Sample>> samples, Integer badVersion, Instant from, Instant to,
                                 Instant detectedAt, Instant mitigatedAt, Instant recoveredAt) {
        return compute(samples, badVersion, from, to, detectedAt, mitigatedAt, recoveredAt, false);
    }

    /**
     * @param onlySettled count for the peak only the seconds every reporting host has reported past (hosts report on
     *                    their own phases: while an incident runs, one early report must not look like all the traffic)
     */
    public static Impact compute(Map<String, List<HealthStore.Sample>> samples, Integer badVersion, Instant from, Instant to,
                                 Instant detectedAt, Instant mitigatedAt, Instant recoveredAt, boolean onlySettled) {
        Instant settledBefore = null;
        if (onlySettled) {
            for (List<HealthStore.Sample> host : samples.values()) {
                Instant last = host.stream().map(HealthStore.Sample::end).max(Instant::compareTo).orElse(null);
                if (last != null && (settledBefore == null || last.isBefore(settledBefore))) settledBefore = last;
            }
        }
        long total = 0;
        long failed = 0;
        int affected = 0;
        Instant first = null;
        Instant last = null;
        TreeMap<Long, double[]> perSecond = new TreeMap<>();
        for (List<HealthStore.Sample> host : samples.values()) {
            boolean hit = false;
            // a host that failed on the bad version owns all its failures of the window: around a switch, a request
            // served by one tree can land in the next version's report
            boolean servedBad = badVersion == null || host.stream().anyMatch(s -> s.errors() > 0 && badVersion.equals(s.version())
                    && !s.end().isBefore(from) && !s.start().isAfter(to));
            for (HealthStore.Sample s : host) {
                if (s.end().isBefore(from) || s.start().isAfter(to)) continue;
                long errors = servedBad ? s.errors() : 0;
                total += s.requests();
                failed += errors;
                spread(perSecond, s, errors);
                if (errors > 0) {
                    hit = true;
                    Instant f = s.firstError();
                    if (first == null || f.isBefore(first)) first = f;
                    if (last == null || s.end().isAfter(last)) last = s.end();
                }
            }
            if (hit) affected++;
        }
        double peak = 0;
        for (var e : perSecond.entrySet()) {
            double[] b = e.getValue();
            if (settledBefore != null && (e.getKey() + 1) * 1000 > settledBefore.toEpochMilli()) continue;
            if (b[0] > 0) peak = Math.max(peak, 100.0 * b[1] / b[0]);
        }
        return new Impact(total, failed, total == 0 ? 0 : 100.0 * failed / total, round(peak), affected, samples.size(), first, last,
                detectedAt, mitigatedAt, recoveredAt, millis(first, detectedAt), millis(first, mitigatedAt), millis(first, recoveredAt));
    }

    /**
     * Spreads a sample's counts over the wall-clock seconds it covers, in proportion: hosts report on their own
     * phases, and a second must hold every host's share of it, not whichever reports happened to end in it.
     */
    private static void spread(TreeMap<Long, double[]> perSecond, HealthStore.Sample s, long errors) {
        long start = s.start().toEpochMilli();
        long end = Math.max(start + 1, s.end().toEpochMilli());
        double length = end - start;
        for (long sec = Math.floorDiv(start, 1000); sec * 1000 < end; sec++) {
            long overlap = Math.min(end, (sec + 1) * 1000) - Math.max(start, sec * 1000);
            if (overlap <= 0) continue;
            double[] b = perSecond.computeIfAbsent(sec, k -> new double[2]);
            b[0] += s.requests() * overlap / length;
            b[1] += errors * overlap / length;
        }
    }

    private static Long millis(Instant a, Instant b) {
        return a == null || b == null ? null : Math.max(0, Duration.between(a, b).toMillis());
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    public Severity severity() {
        return Severity.fromPeakPercent(peakPercent);
    }
}
