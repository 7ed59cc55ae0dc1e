package dev.rollguard.validate;

import java.util.Comparator;
import java.util.List;

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

    public long errors() { return findings.stream().filter(f -> f.severity() == Severity.ERROR).count(); }
    public long warnings() { return findings.stream().filter(f -> f.severity() == Severity.WARNING).count(); }
    public boolean releasable() { return errors() == 0; }
}
