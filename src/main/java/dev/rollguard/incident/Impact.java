package dev.rollguard.incident;

import dev.rollguard.config.Severity;
import dev.rollguard.health.HealthStore;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an incident cost, computed from the hosts' own health reports: failed requests, the worst second's
 * share of failed traffic, hosts hit, and the times from the first 5xx to detection, mitigation and recovery.
 * For a release, only what the release caused counts: a host's failures on the bad version, and its failures on
 * other versions beyond the rate it already had before the release (hosts that were failing before, say with no
 * config at all, must not make the release look worse nor detection look slower).
 */
public record Impact(long requestsTotal, long requestsFailed, double percentFailed, double peakPercent, int hostsAffected,
                     int hostsTotal, Instant firstErrorAt, Instant lastErrorAt, Instant detectedAt, Instant mitigatedAt,
                     Instant recoveredAt, Long timeToDetectMillis, Long timeToMitigateMillis, Long timeToRecoverMillis) {

    public static final Impact NONE = new Impact(0, 0, 0, 0, 0, 0, null, null, null, null, null, null, null, null);

    /**
     * @param samples    every host of the environment with its samples; with a bad version, the samples that ended before
     *                   {@code from} are each host's baseline (the caller loads a minute or so of them)
     * @param badVersion count only failures of hosts that failed on this version (a rollout's bad version), over their
     *                   baseline; null: every failure
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
        double failed = 0;
        int affected = 0;
        Instant first = null;
        Instant last = null;
        TreeMap<Long, double[]> perSecond = new TreeMap<>();
        for (List<HealthStore.Sample> host : samples.values()) {
            // a host that failed on the bad version owns its failures of the window beyond its baseline: around a switch,
            // a request served by one tree can land in the next version's report
            boolean servedBad = badVersion == null || host.stream().anyMatch(s -> s.errors() > 0 && badVersion.equals(s.version())
                    && !s.end().isBefore(from) && !s.start().isAfter(to));
            double baseline = badVersion == null ? 0 : baselineRate(host, from);
            List<HealthStore.Sample> window = host.stream().filter(s -> !s.end().isBefore(from) && !s.start().isAfter(to)).toList();
            double[] caused = new double[window.size()];
            double otherExcess = 0;
            double otherExpected = 0;
            for (int k = 0; k < caused.length; k++) {
                HealthStore.Sample s = window.get(k);
                if (!servedBad) continue;
                if (badVersion == null || badVersion.equals(s.version())) {
                    caused[k] = s.errors();
                } else {
                    caused[k] = Math.max(0, s.errors() - baseline * s.requests());
                    otherExcess += caused[k];
                    otherExpected += baseline * s.requests();
                }
            }
            // failures on other versions only count when they are beyond the baseline's noise (three standard deviations)
            boolean noise = otherExcess <= 3 * Math.sqrt(otherExpected);
            double hostFailed = 0;
            for (int k = 0; k < caused.length; k++) {
                HealthStore.Sample s = window.get(k);
                if (noise && badVersion != null && !badVersion.equals(s.version())) caused[k] = 0;
                total += s.requests();
                hostFailed += caused[k];
                spread(perSecond, s, caused[k]);
                if (caused[k] > 0) {
                    Instant f = s.firstError();
                    if (first == null || f.isBefore(first)) first = f;
                    if (last == null || s.end().isAfter(last)) last = s.end();
                }
            }
            failed += hostFailed;
            if (Math.round(hostFailed) > 0) affected++;
        }
        double peak = 0;
        for (var e : perSecond.entrySet()) {
            double[] b = e.getValue();
            if (settledBefore != null && (e.getKey() + 1) * 1000 > settledBefore.toEpochMilli()) continue;
            if (b[0] > 0) peak = Math.max(peak, 100.0 * b[1] / b[0]);
        }
        long failedRequests = Math.round(failed);
        return new Impact(total, failedRequests, total == 0 ? 0 : 100.0 * failedRequests / total, round(peak), affected, samples.size(), first, last,
                detectedAt, mitigatedAt, recoveredAt, millis(first, detectedAt), millis(first, mitigatedAt), millis(first, recoveredAt));
    }

    /**
     * Spreads a sample's counts over the wall-clock seconds it covers, in proportion: hosts report on their own
     * phases, and a second must hold every host's share of it, not whichever reports happened to end in it.
     */
    private static void spread(TreeMap<Long, double[]> perSecond, HealthStore.Sample s, double errors) {
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

    /** The host's share of failed requests in the samples that ended before {@code from}; 0 without any. */
    private static double baselineRate(List<HealthStore.Sample> host, Instant from) {
        long requests = 0;
        long errors = 0;
        for (HealthStore.Sample s : host) {
            if (!s.end().isBefore(from)) continue;
            requests += s.requests();
            errors += s.errors();
        }
        return requests == 0 ? 0 : (double) errors / requests;
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
