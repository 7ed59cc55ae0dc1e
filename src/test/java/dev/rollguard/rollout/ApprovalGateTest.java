package dev.rollguard.rollout;

import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.versions.VersionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The facts the two-person rule decides on, gathered from real versions and risk rules (no HTTP): risk against what
 * the environment runs, approvals by someone other than the author, and the last approved version.
 */
class ApprovalGateTest {
    private static final ValidationSettings RULES = new ValidationSettings(null, false, false, null, List.of(),
            List.of(new ValidationSettings.RiskRule("db", "**", "DB_PASSWORD", "credentials")), List.of());

    @TempDir
    Path dir;
    RolloutWorld w;
    ServiceSpec spec;
    /** Who approved which version of "wp"; the newest approved first, as the auth store answers. */
    final Map<Integer, List<String>> approvals = new HashMap<>();
    ApprovalGate gate;
    Integer last;

    @BeforeEach
    void setUp() {
        w = new RolloutWorld(dir);
        spec = new ServiceSpec(null, null, RULES, null, null, null, null, null);
        w.config.putService("wp", spec);
        gate = new ApprovalGate(w.config, (service, v) -> approvals.getOrDefault(v, List.of()),
                service -> approvals.keySet().stream().sorted((a, b) -> b - a).toList());
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private VersionInfo push(String conf) {
        VersionInfo v = w.config.push("wp", Map.of("db.conf", conf), "alice", "change", last, null).version();
        last = v.number();
        return v;
    }

    private void approve(VersionInfo v, String by) {
        approvals.computeIfAbsent(v.number(), k -> new ArrayList<>()).add(by);
    }

    @Test
    void aChangeWithoutRiskNeedsNoApproval() {
        VersionInfo v1 = push("DB_HOST=db1\n");
        VersionInfo v2 = push("DB_HOST=db2\n");
        assertThat(gate.approvalNeeded(spec, null, v1)).isEmpty();
        assertThat(gate.approvalNeeded(spec, v1.number(), v2)).isEmpty();
    }

    @Test
    void aRiskyChangeNeedsSomeoneOtherThanItsAuthor() {
        VersionInfo v1 = push("DB_HOST=db1\n");
        VersionInfo v2 = push("DB_HOST=db1\nDB_PASSWORD=rotated\n");
        assertThat(gate.approvalNeeded(spec, v1.number(), v2)).hasValueSatisfying(why -> assertThat(why).contains("db: db.conf:2 added (credentials)"));
        approve(v2, "alice");
        assertThat(gate.approvalNeeded(spec, v1.number(), v2)).as("the author's own approval counts for nothing").isPresent();
        approve(v2, "bob");
        assertThat(gate.approvalNeeded(spec, v1.number(), v2)).isEmpty();
    }

    @Test
    void riskIsJudgedAgainstWhatRunsNotOnlyAgainstTheParent() {
        VersionInfo v1 = push("DB_HOST=db1\n");
        VersionInfo v2 = push("DB_HOST=db1\nDB_PASSWORD=rotated\n");
        // v3 changes only a comment from v2: low-risk against its parent, but it carries v2's password to what runs v1
        VersionInfo v3 = push("# tidy\nDB_HOST=db1\nDB_PASSWORD=rotated\n");
        assertThat(v3.highRisk()).isFalse();
        assertThat(gate.approvalNeeded(spec, v1.number(), v3)).hasValueSatisfying(why -> assertThat(why).contains("db: db.conf:3 added (credentials)"));
        // once another person approved v2, v3 changes nothing risky from what they approved
        approve(v2, "bob");
        assertThat(gate.approvalNeeded(spec, v1.number(), v3)).isEmpty();
        // an environment already running v2 takes v3 without anything to approve
        approvals.clear();
        assertThat(gate.approvalNeeded(spec, v2.number(), v3)).isEmpty();
    }

    @Test
    void anApprovalByTheAuthorAloneOfAnEarlierVersionDoesNotCarryOver() {
        VersionInfo v1 = push("DB_HOST=db1\n");
        VersionInfo v2 = push("DB_HOST=db1\nDB_PASSWORD=rotated\n");
        VersionInfo v3 = push("# tidy\nDB_HOST=db1\nDB_PASSWORD=rotated\n");
        approve(v2, "alice");
        assertThat(gate.approvalNeeded(spec, v1.number(), v3)).isPresent();
    }

    @Test
    void aVersionRiskyOnlyAgainstItsParentSaysWhatItsReportFound() {
        VersionInfo v1 = push("DB_HOST=db1\nDB_PASSWORD=a\n");
        push("DB_HOST=db1\n");
        // back to what the environment runs: nothing risky against v1, but the password line is added against its parent
        VersionInfo v3 = push("DB_HOST=db1\nDB_PASSWORD=a\n");
        assertThat(v3.highRisk()).isTrue();
        assertThat(gate.approvalNeeded(spec, v1.number(), v3)).hasValue(String.join("; ", v3.report().riskReasons()))
                .hasValueSatisfying(why -> assertThat(why).contains("db.conf:2 added"));
    }
}
