package dev.rollguard.rollout;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.validate.RiskRules;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.VersionInfo;

import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Gathers the facts {@link ApprovalPolicy} decides on: risk against what runs, approvals, the last approved version. */
final class ApprovalGate {
    private final ConfigService config;
    private final BiFunction<String, Integer, List<String>> approvers;
    private final Function<String, List<Integer>> approvedVersions;

    ApprovalGate(ConfigService config, BiFunction<String, Integer, List<String>> approvers, Function<String, List<Integer>> approvedVersions) {
        this.config = config;
        this.approvers = approvers;
        this.approvedVersions = approvedVersions;
    }

    /** Why {@code v} needs an approval before an environment running {@code running} (null: nothing) takes it. */
    Optional<String> approvalNeeded(ServiceSpec spec, Integer running, VersionInfo v) {
        String service = v.service();
        ConfigTree tree = config.tree(service, v.number());
        List<String> vsRunning = RiskRules.reasons(running == null ? null : config.tree(service, running), tree, spec.validation());
        List<String> vsApproved = null;
        if (!vsRunning.isEmpty() || v.highRisk()) {
            for (int a : approvedVersions.apply(service)) {
                if (a >= v.number() || !approvedByAnother(service, a)) continue;
                vsApproved = RiskRules.reasons(config.tree(service, a), tree, spec.validation());
                break;
            }
        }
        Optional<String> why = ApprovalPolicy.approvalNeeded(vsRunning, v.highRisk(), approvedByAnother(service, v.number()), vsApproved);
        return why.map(w -> vsRunning.isEmpty() ? highRiskWhy(v) : w);
    }

    private boolean approvedByAnother(String service, int number) {
        String author = config.version(service, number).author();
        return approvers.apply(service, number).stream().anyMatch(a -> !a.equals(author));
    }

    /** The version's own risk, against its parent: the reasons its validation report holds. */
    private static String highRiskWhy(VersionInfo v) {
        if (v.report() == null || v.report().riskReasons().isEmpty()) return "a risk rule matched";
        return String.join("; ", v.report().riskReasons());
    }
}
