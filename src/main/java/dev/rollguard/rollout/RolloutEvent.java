package dev.rollguard.rollout;

import dev.rollguard.protocol.AgentProtocol;

import java.util.List;
import java.util.Locale;

/**
 * What happened to a rollout, as a fact. Other packages decide on the fields (an incident opens on an
 * {@link RollbackStarted} that is {@code automatic}); {@link #message()} and its data ({@link EventData}) are the
 * timeline's line for people.
 */
public sealed interface RolloutEvent {
    Kind kind();

    String message();

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
    }

    /** The analysis passed wave {@code wave} (from 1) after its bake. */
    record WavePassed(int wave, Analysis.Decision decision) implements RolloutEvent {
        public Kind kind() { return Kind.WAVE_PASSED; }

        public String message() { return "wave " + wave + " passed: " + decision.reason(); }
    }

    /** The version is the environment's; {@code hosts} is 0 when nobody was registered. */
    record Completed(int version, String env, int hosts) implements RolloutEvent {
        public Kind kind() { return Kind.ROLLOUT_COMPLETE; }

        public String message() {
            return hosts == 0 ? "no hosts registered: v" + version + " is released to " + env
                    : "v" + version + " is on all " + hosts + " host(s) of " + env;
        }
    }

    /** The canary analysis changed its verdict during wave {@code wave} (from 1). */
    record AnalysisDecided(int wave, Analysis.Decision decision) implements RolloutEvent {
        public Kind kind() { return Kind.ANALYSIS; }

        public String message() {
            return "analysis: " + decision.verdict().name().toLowerCase(Locale.ROOT) + " — " + decision.reason();
        }
    }

    /** The analysis failed and the policy says a person decides: the rollout is paused, nothing rolled back. */
    record PausedOnFailure(String reason, Grounds grounds, List<String> hosts) implements RolloutEvent {
        public Kind kind() { return Kind.ANALYSIS_FAILED; }

        public String message() { return "analysis failed, paused for a person (automatic rollback is off): " + reason; }
    }

    /**
     * Every host of the rollout goes back to {@code toVersion} (null: none). Automatic rollbacks carry the analysis'
     * {@code reason} and what it rests on ({@code grounds}); manual ones the person ({@code actor}) and their reason, if
     * any, and no grounds (null).
     */
    record RollbackStarted(boolean automatic, String actor, String reason, Grounds grounds, List<String> hosts,
                           Integer toVersion, HostFailed cause) implements RolloutEvent {
        public RollbackStarted(boolean automatic, String actor, String reason, Grounds grounds, List<String> hosts,
                               Integer toVersion) {
            this(automatic, actor, reason, grounds, hosts, toVersion, null);
        }

        public Kind kind() { return Kind.ROLLBACK_STARTED; }

        public String message() {
            return automatic ? "automatic rollback: " + reason : "manual rollback by " + actor + (reason == null ? "" : ": " + reason);
        }
    }

    /**
     * A host reported the version failed there, and where: in its preflight (no user request ever reached it), when
     * applying it, or by its local watchdog after the switch. The rollout's failure when no analysis decided first.
     * {@code neverServed}: no host of the rollout had served the version when it failed, so no user request met it.
     */
    record HostFailed(String host, AgentProtocol.HostFailure failure, boolean neverServed) {}

    /** A person aborted the rollout: its hosts go back to {@code toVersion}, the version is not marked bad. */
    record Aborted(String actor, List<String> hosts, Integer toVersion) implements RolloutEvent {
        public Kind kind() { return Kind.ABORT; }

        public String message() { return "aborted by " + actor; }
    }

    /** A health source that should speak for the rollout's hosts is silent in wave {@code wave} (from 1): paused. */
    record NoData(int wave, String why) implements RolloutEvent {
        public Kind kind() { return Kind.ANALYSIS_NO_DATA; }

        public String message() { return "analysis has no data, paused: " + why; }
    }

    record Paused(String actor) implements RolloutEvent {
        public Kind kind() { return Kind.PAUSED; }

        public String message() { return "paused by " + actor; }
    }

    record Resumed(String actor) implements RolloutEvent {
        public Kind kind() { return Kind.RESUMED; }

        public String message() { return "resumed by " + actor; }
    }
}
