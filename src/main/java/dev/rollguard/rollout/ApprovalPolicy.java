package dev.rollguard.rollout;

import java.util.List;
import java.util.Optional;

/**
 * Whether the last environment may take a version without a new approval. Risk is judged against what the
 * environment runs now, not only against the version's parent: otherwise v4 = (high-risk v3) + a comment is a
 * low-risk change and carries v3's change past the second person. A change that is risky against what runs needs
 * an approval of this version, or of an earlier approved version from which this one changes nothing risky (the
 * risky part is then what was approved).
 */
public final class ApprovalPolicy {
    private ApprovalPolicy() {}

    /**
     * @param riskVsRunning        risk reasons of the change from what the environment runs (or from nothing) to the version
     * @param ownRisk              whether the version is high-risk against its parent (as pushed)
     * @param approved             whether someone other than its author approved this version
     * @param riskVsLastApproved   risk reasons from the last earlier approved version to this one; null if none was approved
     * @return why an approval is needed, or empty if the environment may take it
     */
    public static Optional<String> approvalNeeded(List<String> riskVsRunning, boolean ownRisk, boolean approved,
                                                  List<String> riskVsLastApproved) {
        if (approved) return Optional.empty();
        if (riskVsRunning.isEmpty() && !ownRisk) return Optional.empty();
        if (riskVsLastApproved != null && riskVsLastApproved.isEmpty()) return Optional.empty();
        return Optional.of(riskVsRunning.isEmpty() ? "high-risk against its parent" : String.join("; ", riskVsRunning));
    }
}
