package dev.rollguard.rollout;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The two-person rule's promises, over every combination of its facts. */
class ApprovalPolicyTest {
    @Property
    void anApprovalOfThisVersionByAnotherPersonAlwaysLetsItThrough(@ForAll @Size(max = 3) List<String> riskVsRunning, @ForAll boolean ownRisk,
                                                                 @ForAll boolean anEarlierApproval, @ForAll @Size(max = 3) List<String> riskVsApproved) {
        assertThat(ApprovalPolicy.approvalNeeded(riskVsRunning, ownRisk, true, anEarlierApproval ? riskVsApproved : null)).isEmpty();
    }

    @Property
    void whatIsRiskyAgainstWhatRunsIsNeverLetThroughUnapprovedUnlessAnApprovedVersionCarriedIt(
            @ForAll @Size(min = 1, max = 3) List<String> riskVsRunning, @ForAll boolean ownRisk,
            @ForAll @Size(min = 1, max = 3) List<String> riskVsApproved, @ForAll boolean anEarlierApproval) {
        var why = ApprovalPolicy.approvalNeeded(riskVsRunning, ownRisk, false, anEarlierApproval ? riskVsApproved : null);
        // the reasons are what runs against the version, each of them, for the second person to read
        assertThat(why).hasValue(String.join("; ", riskVsRunning));
    }

    @Property
    void noRiskAnywhereNeedsNoApproval(@ForAll boolean approved, @ForAll boolean anEarlierApproval) {
        assertThat(ApprovalPolicy.approvalNeeded(List.of(), false, approved, anEarlierApproval ? List.of() : null)).isEmpty();
    }

    @Test
    void aVersionRiskyOnlyAgainstItsParentNeedsAnApprovalUnlessAnApprovedVersionCoversIt() {
        assertThat(ApprovalPolicy.approvalNeeded(List.of(), true, false, null)).hasValue("high-risk against its parent");
        assertThat(ApprovalPolicy.approvalNeeded(List.of(), true, false, List.of("db: x:1 added"))).hasValue("high-risk against its parent");
        assertThat(ApprovalPolicy.approvalNeeded(List.of(), true, false, List.of())).isEmpty();
        assertThat(ApprovalPolicy.approvalNeeded(List.of("db: x:1 added"), false, false, List.of())).as("nothing risky since the approved one")
                .isEmpty();
    }
}
