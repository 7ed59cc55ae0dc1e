package dev.rollguard.validate.format;

import dev.rollguard.config.FindingSeverity;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.ValidationReport;

import java.util.ArrayList;
import java.util.List;

/**
 * GitHub Actions workflow commands ({@code ::error file=…,line=…,col=…,title=…::message}): each becomes an annotation
 * on the pull request's diff. Escaping follows the Actions toolkit: data escapes %, CR and LF; properties also
 * escape ':' and ','.
 */
public final class GitHubAnnotations {
    private GitHubAnnotations() {}

    public static String render(ValidationReport report, ReportContext context) {
        List<String> lines = new ArrayList<>();
        for (Finding f : report.findings()) {
            StringBuilder props = new StringBuilder();
            if (f.path() != null) {
                props.append("file=").append(escapeProperty(context.displayPath(f.path())));
                if (f.line() > 0) props.append(",line=").append(f.line());
                if (f.line() > 0 && f.column() > 0) props.append(",col=").append(f.column());
                props.append(',');
            }
            props.append("title=").append(escapeProperty("rollguard " + f.rule()));
            String message = f.suggestion() == null ? f.message() : f.message() + "\n" + f.suggestion();
            lines.add("::" + (f.severity() == FindingSeverity.ERROR ? "error" : "warning") + " " + props + "::" + escapeData(message));
        }
        for (String notice : report.notices()) lines.add("::notice title=rollguard::" + escapeData(notice));
        lines.add(report.errors() + " error(s), " + report.warnings() + " warning(s) in " + context.tree().size() + " file(s)");
        return String.join("\n", lines) + "\n";
    }

    static String escapeData(String s) {
        return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A");
    }

    static String escapeProperty(String s) {
        return escapeData(s).replace(":", "%3A").replace(",", "%2C");
    }
}
