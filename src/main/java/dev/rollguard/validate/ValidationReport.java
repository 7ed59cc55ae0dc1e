package dev.rollguard.validate;

import dev.rollguard.config.FindingSeverity;

import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The union of every validator's findings for one tree, plus notices (validators skipped and why)
 * and the risk verdict.
 */
public record ValidationReport(List<Finding> findings, List<String> notices, boolean highRisk,
                               List<String> riskReasons, long durationMillis) {

    public static final Comparator<Finding> ORDER = Comparator
            .comparing((Finding f) -> f.path() == null ? "" : f.path())
            .thenComparingInt(Finding::line).thenComparingInt(Finding::column).thenComparing(Finding::rule);

    public ValidationReport {
        findings = findings.stream().sorted(ORDER).toList();
        notices = List.copyOf(notices);
        riskReasons = List.copyOf(riskReasons);
    }

    /**
     * The report as it is stored and shown: messages and suggestions with secret values masked (a plugin command may
     * quote the line it failed on, password and all). Finding ids stay those of the unmasked findings.
     */
    public ValidationReport masked(UnaryOperator<String> mask) {
        return new ValidationReport(findings.stream().map(f -> new Finding(f.id(), f.rule(), f.severity(), f.path(), f.line(), f.column(),
                mask.apply(f.message()), mask.apply(f.suggestion()), f.fix())).toList(), notices.stream().map(mask).toList(), highRisk,
                riskReasons.stream().map(mask).toList(), durationMillis);
    }

    public long errors() { return findings.stream().filter(f -> f.severity() == FindingSeverity.ERROR).count(); }
    public long warnings() { return findings.stream().filter(f -> f.severity() == FindingSeverity.WARNING).count(); }
    public boolean releasable() { return errors() == 0; }
}
