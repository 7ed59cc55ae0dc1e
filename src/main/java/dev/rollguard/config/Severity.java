package dev.rollguard.config;

import dev.rollguard.Problem;

/** How bad an incident is, from the share of traffic it hurt at its worst. */
public enum Severity {
    SEV1, SEV2, SEV3, SEV4;

    /** SEV1 from 25 % of requests failing, SEV2 from 5 %, SEV3 for any failed request, SEV4 when none failed (reviews). */
    public static Severity fromPeakPercent(double percent) {
        if (percent >= 25) return SEV1;
        if (percent >= 5) return SEV2;
        if (percent > 0) return SEV3;
        return SEV4;
    }

    public boolean atLeast(Severity other) {
        return ordinal() <= other.ordinal();
    }

    public static Severity worse(Severity a, Severity b) {
        return a.ordinal() <= b.ordinal() ? a : b;
    }

    public static Severity parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase());
        } catch (RuntimeException e) {
            throw Problem.badRequest("invalid_severity", "severity must be SEV1, SEV2, SEV3 or SEV4, not '" + s + "'");
        }
    }

    /** PagerDuty Events v2 severities. */
    public String pagerDuty() {
        return switch (this) {
            case SEV1 -> "critical";
            case SEV2 -> "error";
            case SEV3 -> "warning";
            case SEV4 -> "info";
        };
    }
}
