package dev.rollguard.rollout;

import dev.rollguard.Problem;
import dev.rollguard.versions.ReleaseRecord;
import dev.rollguard.versions.VersionInfo;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The promotion policy as a pure function: whether an environment may take a version now. A version marked bad never
 * goes out; the last environment (production) takes a high-risk version only once someone other than its author
 * approved it (break-glass does not lift this); every other environment but the first takes only what completed in the
 * previous one, still runs there, and has stayed there for its bake time, unless a break-glass reason is given; and an
 * environment never "releases" what it already runs.
 */
public final class Promotion {
    private Promotion() {}

    /**
     * What the decision reads. {@code released}: what {@code env} runs (null: nothing); {@code approvalNeeded}: why the
     * version would need a second person's approval here (empty: it does not, or {@code env} is not the last);
     * {@code previous}: the environment before {@code env} (null for the first).
     */
    public record Request(VersionInfo version, String env, boolean lastEnv, Integer released, Optional<String> approvalNeeded,
                          Previous previous, int bakeSeconds, String breakGlass, Instant now) {}

    /** The previous environment: what it runs now and when it took the version ({@code releases}, oldest first). */
    public record Previous(String env, Integer released, List<ReleaseRecord> releases) {}

    /** Why the environment does not take the version, with the code the API answers with. */
    public record Refusal(String code, String message) {
        public Problem problem() {
            return Problem.conflict(code, message);
        }
    }

    public static Optional<Refusal> check(Request q) {
        VersionInfo v = q.version();
        String sv = v.service() + " v" + v.number();
        if (v.bad()) return refuse("version_bad", sv + " is marked bad (" + v.badReason() + "); push a new version");
        if (q.lastEnv() && q.approvalNeeded().isPresent()) {
            return refuse("approval_required", sv + " is high-risk (" + q.approvalNeeded().get()
                    + "): someone other than its author (" + v.author() + ") must approve it before " + q.env() + " takes it");
        }
        Previous p = q.previous();
        if (p != null && q.breakGlass() == null) {
            if (p.releases().isEmpty()) {
                return refuse("promotion_order", sv + " was never released to '" + p.env() + "'; release it there first (or break glass with a reason)");
            }
            Instant since = p.releases().get(p.releases().size() - 1).createdAt();
            long baked = Duration.between(since, q.now()).toSeconds();
            if (baked < q.bakeSeconds()) {
                return refuse("promotion_bake", sv + " has been in '" + p.env() + "' for " + baked + " s; '" + q.env()
                        + "' accepts it after " + q.bakeSeconds() + " s of bake");
            }
            if (p.released() == null || p.released() != v.number()) {
                return refuse("promotion_order", sv + " is no longer what runs in '" + p.env() + "'");
            }
        }
        if (q.released() != null && q.released() == v.number()) return refuse("already_released", sv + " already runs in " + q.env());
        return Optional.empty();
    }

    private static Optional<Refusal> refuse(String code, String message) {
        return Optional.of(new Refusal(code, message));
    }
}
