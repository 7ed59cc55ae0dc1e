package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.versions.GitCommit;

import java.io.PrintWriter;

/** How the CLI prints: JSON when asked, otherwise lines people read. */
final class Output {
    private Output() {}

    static void json(PrintWriter out, Object value) {
        try {
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Git provenance of a version as the server sent it, or null. */
    static GitCommit git(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : Json.MAPPER.convertValue(node, GitCommit.class);
    }

    static void report(PrintWriter out, PrintWriter err, ValidationReport report, int files) {
        for (Finding f : report.findings()) out.println(f.render());
        for (String n : report.notices()) err.println("notice: " + n);
        for (String r : report.riskReasons()) out.println("high-risk: " + r);
        out.println(report.errors() + " error(s), " + report.warnings() + " warning(s) in " + files + " file(s) ("
                + report.durationMillis() + " ms)" + (report.highRisk() ? "; HIGH-RISK change" : ""));
    }
}
