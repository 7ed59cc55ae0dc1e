package dev.rollguard.rollout;

import dev.rollguard.protocol.AgentProtocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What happened to a rollout, as a fact. Other packages decide on the fields (an incident opens on an
 * {@link RollbackStarted} that is {@code automatic}); {@link #message()} and {@link #data()} are the timeline's line
 * for people.
 */
public sealed interface RolloutEvent {
    Kind kind();

    String message();

    Map<String, Object> data();

    /** The timeline's name of each kind of event, as stored in the events table. */
    enum Kind {
        ROLLOUT_STARTED, WAVE_STARTED, WAVE_PASSED, ROLLOUT_COMPLETE, ANALYSIS, ANALYSIS_FAILED, ROLLBACK_STARTED, ABORT, PAUSED,
        RESUMED, ANALYSIS_NO_DATA;

        public String wire() { return name().toLowerCase(Locale.ROOT); }
    }

    /** A person started a rollout; {@code breakGlass} is the reason the promotion policy was bypassed, or null. */
    /** {@code canarySeed}: the seed {@link CanaryChoice} ordered the hosts by (the order itself is the rollout's host list). */
    record Started(String actor, String env, Integer fromVersion, int toVersion, int hosts, int[] waves, String breakGlass, long canarySeed)
            implements RolloutEvent {
        public Kind kind() { return Kind.ROLLOUT_STARTED; }

        public String message() {
            return actor + " started rollout of v" + toVersion + " to " + env + " (" + hosts + " host(s))"
                    + (breakGlass == null ? "" : "; BREAK-GLASS: " + breakGlass);
        }

        public Map<String, Object> data() {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("fromVersion", fromVersion == null ? "none" : fromVersion);
            data.put("toVersion", toVersion);
            data.put("hosts", hosts);
            data.put("waves", waves);
            data.put("canarySeed", canarySeed);
            if (breakGlass != null) data.put("breakGlass", breakGlass);
            return data;
        }
    }

    /** Wave {@code wave} (from 1) of {@code waves}: {@code added} go to the version, {@code onVersion} of {@code fleet} in all. */
    record WaveStarted(int wave, int waves, int version, List<String> added, int onVersion, int fleet) implements RolloutEvent {
        public WaveStarted {
            added = List.copyOf(added);
        }

        public Kind kind() { return Kind.WAVE_STARTED; }

        public String message() {
            return "wave " + wave + " of " + waves + " started: " + onVersion + " of " + fleet + " host(s) " + (wave == 1 ? "to" : "on")
                    + " v" + version;
        }

        public Map<String, Object> data() { return Map.of("wave", wave, "hosts", added); }
    }

    /** The analysis passed wave {@code wave} (from 1) after its bake. */
    record WavePassed(int wave, Analysis.Decision decision) implements RolloutEvent {
        public Kind kind() { return Kind.WAVE_PASSED; }

        public String message() { return "wave " + wave + " passed: " + decision.reason(); }

        public Map<String, Object> data() {
            Map<String, Object> numbers = new LinkedHashMap<>(decision.numbers());
            numbers.put("wave", wave);
            return numbers;
        }
    }

    /** The version is the environment's; {@code hosts} is 0 when nobody was registered. */
    record Completed(int version, String env, int hosts) implements RolloutEvent {
        public Kind kind() { return Kind.ROLLOUT_COMPLETE; }

        public String message() {
            return hosts == 0 ? "no hosts registered: v" + version + " is released to " + env
                    : "v" + version + " is on all " + hosts + " host(s) of " + env;
        }

        public Map<String, Object> data() { return Map.of(); }
    }

    /** The canary analysis changed its verdict during wave {@code wave} (from 1). */
    record AnalysisDecided(int wave, Analysis.Decision decision) implements RolloutEvent {
        public Kind kind() { return Kind.ANALYSIS; }

        public String message() {
            return "analysis: " + decision.verdict().name().toLowerCase(Locale.ROOT) + " — " + decision.reason();
        }

        public Map<String, Object> data() {
            Map<String, Object> data = new LinkedHashMap<>(decision.numbers());
            data.put("verdict", decision.verdict().name());
            data.put("wave", wave);
            return data;
        }
    }

    /** The analysis failed and the policy says a person decides: the rollout is paused, nothing rolled back. */
    record PausedOnFailure(String reason, Map<String, Object> numbers, List<String> hosts) implements RolloutEvent {
        public Kind kind() { return Kind.ANALYSIS_FAILED; }

        public String message() { return "analysis failed, paused for a person (automatic rollback is off): " + reason; }

        public Map<String, Object> data() {
            Map<String, Object> data = new LinkedHashMap<>(numbers);
            data.put("hosts", hosts);
            return data;
        }
    }

    /**
     * Every host of the rollout goes back to {@code toVersion} (null: none). Automatic rollbacks carry the analysis'
     * {@code reason} and numbers; manual ones the person ({@code actor}) and their reason, if any.
     */
    record RollbackStarted(boolean automatic, String actor, String reason, Map<String, Object> numbers, List<String> hosts,
                           Integer toVersion, HostFailed cause) implements RolloutEvent {
        public RollbackStarted(boolean automatic, String actor, String reason, Map<String, Object> numbers, List<String> hosts,
                               Integer toVersion) {
            this(automatic, actor, reason, numbers, hosts, toVersion, null);
        }

        public Kind kind() { return Kind.ROLLBACK_STARTED; }

        public String message() {
            return automatic ? "automatic rollback: " + reason : "manual rollback by " + actor + (reason == null ? "" : ": " + reason);
        }

        public Map<String, Object> data() {
            Map<String, Object> data = rollbackData(numbers, hosts, toVersion);
            if (cause != null) data.putAll(cause.data());
            return data;
        }
    }

    /**
     * A host reported the version failed there, and where: in its preflight (no user request ever reached it), when
     * applying it, or by its local watchdog after the switch. The rollout's failure when no analysis decided first.
     * {@code neverServed}: no host of the rollout had served the version when it failed, so no user request met it.
     */
    record HostFailed(String host, AgentProtocol.HostFailure failure, boolean neverServed) {
        public Map<String, Object> data() {
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("failedHost", host);
            data.put("failedStage", failure.stage().name());
            data.put("neverServed", neverServed);
            if (failure.probe() != null) {
                data.put("probePath", failure.probe().path());
                data.put("probeStatus", failure.probe().status());
                data.put("probeExpectedStatus", failure.probe().expectedStatus());
                data.put("probeBody", failure.probe().bodyExcerpt());
            }
            if (!failure.replayed().isEmpty()) {
                // the paths the replay of the host's own traffic found worse: the new version's answer and the current one's
                data.put("replayed", failure.replayed().stream().map(a -> Map.of("path", a.path(), "status", a.status(),
                        "currentStatus", a.expectedStatus())).toList());
            }
            return data;
        }
    }

    /** A person aborted the rollout: its hosts go back to {@code toVersion}, the version is not marked bad. */
    record Aborted(String actor, List<String> hosts, Integer toVersion) implements RolloutEvent {
        public Kind kind() { return Kind.ABORT; }

        public String message() { return "aborted by " + actor; }

        public Map<String, Object> data() { return rollbackData(Map.of(), hosts, toVersion); }
    }

    /** A health source that should speak for the rollout's hosts is silent in wave {@code wave} (from 1): paused. */
    record NoData(int wave, String why) implements RolloutEvent {
        public Kind kind() { return Kind.ANALYSIS_NO_DATA; }

        public String message() { return "analysis has no data, paused: " + why; }

        public Map<String, Object> data() { return Map.of("verdict", "NO_DATA", "wave", wave); }
    }

    record Paused(String actor) implements RolloutEvent {
        public Kind kind() { return Kind.PAUSED; }

        public String message() { return "paused by " + actor; }

        public Map<String, Object> data() { return Map.of(); }
    }

    record Resumed(String actor) implements RolloutEvent {
        public Kind kind() { return Kind.RESUMED; }

        public String message() { return "resumed by " + actor; }

        public Map<String, Object> data() { return Map.of(); }
    }

    private static Map<String, Object> rollbackData(Map<String, Object> numbers, List<String> hosts, Integer toVersion) {
        Map<String, Object> data = new LinkedHashMap<>(numbers);
        data.put("hosts", hosts);
        data.put("toVersion", toVersion == null ? "none" : toVersion);
        return data;
    }
}
