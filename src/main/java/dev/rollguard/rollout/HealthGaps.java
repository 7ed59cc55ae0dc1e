package dev.rollguard.rollout;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Whether a health source that should speak for some hosts has gone silent: then the analysis has no data, which must
 * pause a rollout rather than let it pass on the evidence of silence.
 */
public interface HealthGaps {
    HealthGaps NONE = (service, env, hosts, since) -> Optional.empty();

    /** Why there is no data for some of {@code hosts} since {@code since}, or empty when there is (or no such source). */
    Optional<String> noData(String service, String env, List<String> hosts, Instant since);
}
