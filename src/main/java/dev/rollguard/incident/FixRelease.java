package dev.rollguard.incident;

import dev.rollguard.rollout.Rollout;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * How a release incident is mitigated when no rollback brought the hosts back: a later release of another version
 * (the fixed one, pushed by {@code rollguard fix} or by hand, with or without break-glass) completed in the same
 * environment, so every host runs it. A rollback that had no version to go back to (the first release of an
 * environment) ends this way too.
 */
final class FixRelease {
    private FixRelease() {}

    /** The first completed release after {@code cause} in its environment of a version other than the bad one. */
    static Optional<Rollout> landed(Rollout cause, List<Rollout> sameEnv) {
        return sameEnv.stream()
                .filter(r -> !r.id().equals(cause.id()) && r.env().equals(cause.env()) && r.service().equals(cause.service()))
                .filter(r -> r.state() == Rollout.State.COMPLETE && r.toVersion() != cause.toVersion())
                .filter(r -> r.createdAt().isAfter(cause.createdAt()))
                .min(Comparator.comparing(Rollout::updatedAt));
    }
}
