package dev.rollguard.rollout;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rollout event's data as the events table stores it and the API serves it (the timeline's numbers for people). Only
 * this package writes it: other packages decide on the event's typed fields, never on these keys.
 */
final class EventData {
    private EventData() {}

    static Map<String, Object> of(RolloutEvent event) {
        if (event instanceof RolloutEvent.Started s) {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("fromVersion", s.fromVersion() == null ? "none" : s.fromVersion());
            data.put("toVersion", s.toVersion());
            data.put("hosts", s.hosts());
            data.put("waves", s.waves());
            data.put("canarySeed", s.canarySeed());
            if (s.breakGlass() != null) data.put("breakGlass", s.breakGlass());
            return data;
        }
        if (event instanceof RolloutEvent.WaveStarted w) return Map.of("wave", w.wave(), "hosts", w.added());
        if (event instanceof RolloutEvent.WavePassed p) {
            Map<String, Object> numbers = new LinkedHashMap<>(p.decision().numbers());
            numbers.put("wave", p.wave());
            return numbers;
        }
        if (event instanceof RolloutEvent.AnalysisDecided a) {
            Map<String, Object> data = new LinkedHashMap<>(a.decision().numbers());
            data.put("verdict", a.decision().verdict().name());
            data.put("wave", a.wave());
            return data;
        }
        if (event instanceof RolloutEvent.PausedOnFailure p) {
            Map<String, Object> data = new LinkedHashMap<>(p.numbers());
            data.put("hosts", p.hosts());
            return data;
        }
        if (event instanceof RolloutEvent.RollbackStarted r) {
            Map<String, Object> data = rollback(r.numbers(), r.hosts(), r.toVersion());
            if (r.cause() != null) data.putAll(of(r.cause()));
            return data;
        }
        if (event instanceof RolloutEvent.Aborted a) return rollback(Map.of(), a.hosts(), a.toVersion());
        if (event instanceof RolloutEvent.NoData n) return Map.of("verdict", "NO_DATA", "wave", n.wave());
        // Completed, Paused, Resumed: the message says it all
        return Map.of();
    }

    /** Where a host failed, and (from a replay of its own traffic) which paths answered worse than on the current version. */
    static Map<String, Object> of(RolloutEvent.HostFailed f) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("failedHost", f.host());
        data.put("failedStage", f.failure().stage().name());
        data.put("neverServed", f.neverServed());
        if (f.failure().probe() != null) {
            data.put("probePath", f.failure().probe().path());
            data.put("probeStatus", f.failure().probe().status());
            data.put("probeExpectedStatus", f.failure().probe().expectedStatus());
            data.put("probeBody", f.failure().probe().bodyExcerpt());
        }
        if (!f.failure().replayed().isEmpty()) {
            // the paths the replay of the host's own traffic found worse: the new version's answer and the current one's
            data.put("replayed", f.failure().replayed().stream().map(a -> Map.of("path", a.path(), "status", a.status(),
                    "currentStatus", a.expectedStatus())).toList());
        }
        return data;
    }

    private static Map<String, Object> rollback(Map<String, Object> numbers, List<String> hosts, Integer toVersion) {
        Map<String, Object> data = new LinkedHashMap<>(numbers);
        data.put("hosts", hosts);
        data.put("toVersion", toVersion == null ? "none" : toVersion);
        return data;
    }
}
