package dev.rollguard.rollout;

import dev.rollguard.health.Counts;
import dev.rollguard.health.HealthStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Per-second 5xx rate and p99 latency of a rollout's canary hosts (those on the new version now) and of the
 * baseline, up to {@code to}: the dashboard's charts. Nulls where a group served nothing.
 */
final class RolloutSeries {
    private RolloutSeries() {}

    static Map<String, List<Object>> of(Rollout r, Function<String, List<HealthStore.Sample>> samplesOf, Instant to) {
        Set<String> canary = Set.copyOf(r.canaryHosts());
        TreeMap<Long, Second> seconds = new TreeMap<>();
        for (String host : r.hosts()) {
            boolean isCanary = canary.contains(host);
            for (HealthStore.Sample s : samplesOf.apply(host)) {
                // a host without a config is not in service: its answers say nothing about either version
                if (s.end().isAfter(to) || s.version() == null) continue;
                Second second = seconds.computeIfAbsent(s.end().getEpochSecond(), k -> new Second(new ArrayList<>(), new ArrayList<>()));
                (isCanary ? second.canary() : second.baseline()).add(s);
            }
        }
        Map<String, List<Object>> out = new LinkedHashMap<>();
        for (String k : List.of("t", "canaryErrorPercent", "baselineErrorPercent", "canaryP99Millis", "baselineP99Millis")) {
            out.put(k, new ArrayList<>());
        }
        seconds.forEach((t, second) -> {
            Counts c = Counts.of(second.canary(), Counts.all());
            Counts b = Counts.of(second.baseline(), Counts.all());
            out.get("t").add(t);
            out.get("canaryErrorPercent").add(c.requests() == 0 ? null : Math.round(1000.0 * c.errors() / c.requests()) / 10.0);
            out.get("baselineErrorPercent").add(b.requests() == 0 ? null : Math.round(1000.0 * b.errors() / b.requests()) / 10.0);
            out.get("canaryP99Millis").add(c.requests() == 0 ? null : c.p99Millis());
            out.get("baselineP99Millis").add(b.requests() == 0 ? null : b.p99Millis());
        });
        return out;
    }

    /** The samples of one second of the charts, by group. */
    private record Second(List<HealthStore.Sample> canary, List<HealthStore.Sample> baseline) {}
}
