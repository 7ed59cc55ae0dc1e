package dev.rollguard.rollout;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.rollguard.Json;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A rollout event's data as the events table stores it and the API serves it: the timeline's numbers for people, each
 * under the name the timeline has always shown, in order. Only this package writes it, from the typed event; nobody
 * reads it back by name (there is no lookup): other packages decide on the event's typed fields, and show these as they
 * are (the dashboard, an incident's timeline and its postmortem).
 */
public final class EventData {
    /** An event whose message says it all (Completed, Paused, Resumed). */
    public static final EventData NONE = new EventData(Map.of());
    private static final TypeReference<LinkedHashMap<String, Object>> STORED = new TypeReference<>() {};

    private final Map<String, Object> fields;

    private EventData(Map<String, Object> fields) {
        this.fields = Collections.unmodifiableMap(fields);
    }

    /** The data as stored (a JSON object); a document that is not one is kept as it is, under {@code raw}. */
    static EventData read(String json) {
        try {
            return stored(Json.MAPPER.readValue(json, STORED));
        } catch (Exception e) {
            return new EventData(Map.of("raw", json));
        }
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static EventData stored(Map<String, Object> fields) {
        return fields == null || fields.isEmpty() ? NONE : new EventData(fields);
    }

    @JsonValue
    private Map<String, Object> fields() {
        return fields;
    }

    public boolean isEmpty() {
        return fields.isEmpty();
    }

    /** Each number by its name, in order: for people (a table, a line of the dashboard). */
    public void forEach(BiConsumer<String, Object> each) {
        fields.forEach(each);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventData d && d.fields.equals(fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return fields.toString();
    }

    static EventData of(RolloutEvent event) {
        Map<String, Object> data = fields(event);
        return data.isEmpty() ? NONE : new EventData(data);
    }

    private static Map<String, Object> fields(RolloutEvent event) {
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
            Map<String, Object> numbers = of(p.decision().grounds());
            numbers.put("wave", p.wave());
            return numbers;
        }
        if (event instanceof RolloutEvent.AnalysisDecided a) {
            Map<String, Object> data = of(a.decision().grounds());
            data.put("verdict", a.decision().verdict().name());
            data.put("wave", a.wave());
            return data;
        }
        if (event instanceof RolloutEvent.PausedOnFailure p) {
            Map<String, Object> data = of(p.grounds());
            data.put("hosts", p.hosts());
            return data;
        }
        if (event instanceof RolloutEvent.RollbackStarted r) {
            Map<String, Object> data = rollback(of(r.grounds()), r.hosts(), r.toVersion());
            if (r.cause() != null) data.putAll(of(r.cause()));
            return data;
        }
        if (event instanceof RolloutEvent.Aborted a) return rollback(new LinkedHashMap<>(), a.hosts(), a.toVersion());
        if (event instanceof RolloutEvent.NoData n) return Map.of("verdict", "NO_DATA", "wave", n.wave());
        // Completed, Paused, Resumed: the message says it all
        return Map.of();
    }

    /**
     * What a decision rests on, under the names the timeline and the API have always shown (a new mutable map, in the
     * order the analysis got its numbers): the totals, the guard that stopped it, then each test's.
     */
    static Map<String, Object> of(Grounds grounds) {
        Map<String, Object> n = new LinkedHashMap<>();
        if (grounds instanceof Grounds.Host h) n.put("host", h.host());
        if (!(grounds instanceof Grounds.Numbers g)) return n;
        Grounds.Totals t = g.totals();
        n.put("canaryRequests", t.canaryRequests());
        n.put("canaryErrors", t.canaryErrors());
        n.put("canaryErrorRate", t.canaryErrorRate());
        n.put("baselineRequests", t.baselineRequests());
        n.put("baselineErrors", t.baselineErrors());
        n.put("baselineErrorRate", t.baselineErrorRate());
        if (g.canaryErrorRateLow() != null) n.put("canaryErrorRateLow", g.canaryErrorRateLow());
        if (g.failFast() != null) {
            n.put("failFastHost", g.failFast().host());
            n.put("failFastRequests", g.failFast().requests());
            n.put("failFastErrors", g.failFast().errors());
        }
        if (g.errorTest() != null) put(n, "", g.errorTest());
        if (g.latency() != null) {
            n.put("latencyThresholdMs", g.latency().thresholdMs());
            put(n, "slow", g.latency().slow());
        }
        if (g.p99() != null) {
            n.put("canaryP99Ms", g.p99().canaryMs());
            n.put("baselineP99Ms", g.p99().baselineMs());
        }
        return n;
    }

    private static void put(Map<String, Object> n, String prefix, Grounds.RateNumbers r) {
        if (r.worst() != null) {
            n.put(key(prefix, "p0"), r.worst().p0());
            n.put(key(prefix, "p1"), r.worst().p1());
            n.put(key(prefix, "canaryHost"), r.worst().host());
            n.put(key(prefix, "canaryHostExpected"), r.worst().expected());
            n.put(key(prefix, "canaryHostHistory"), r.worst().history());
        }
        n.put(key(prefix, "expectedHits"), r.expectedHits());
        n.put(key(prefix, "z"), r.z());
        n.put(key(prefix, "zFailAt"), r.zFailAt());
        if (!prefix.isEmpty()) {
            n.put("canarySlowFraction", r.canaryRate());
            n.put("baselineSlowFraction", r.baselineRate());
        }
        n.put(key(prefix, "hostSpread"), r.hostSpread());
        n.put(key(prefix, "fleetDrift"), r.fleetDrift());
        n.put(key(prefix, "baselineHostsUsed"), r.baselineHostsUsed());
        if (!r.baselineHostsLeftOut().isEmpty()) n.put(key(prefix, "baselineHostsLeftOut"), r.baselineHostsLeftOut());
        if (r.burstSecondsSetAside() > 0) n.put(key(prefix, "burstSecondsSetAside"), r.burstSecondsSetAside());
    }

    private static String key(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + Character.toUpperCase(name.charAt(0)) + name.substring(1);
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

    private static Map<String, Object> rollback(Map<String, Object> data, List<String> hosts, Integer toVersion) {
        data.put("hosts", hosts);
        data.put("toVersion", toVersion == null ? "none" : toVersion);
        return data;
    }
}
