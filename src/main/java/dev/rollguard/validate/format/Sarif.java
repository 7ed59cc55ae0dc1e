package dev.rollguard.validate.format;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.Json;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.Fix;
import dev.rollguard.validate.Fixer;
import dev.rollguard.validate.ValidationReport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SARIF 2.1.0 (OASIS): one run, the rules seen with their descriptions, one result per finding with its location,
 * and a fix wherever the finding's suggestion is mechanical (every replacement it would make, located in its file),
 * so code-scanning pages can show and apply it.
 */
public final class Sarif {
    static final String SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
    static final String SRCROOT = "%SRCROOT%";

    private Sarif() {}

    public static String render(ValidationReport report, ReportContext context) {
        ObjectNode log = Json.MAPPER.createObjectNode();
        log.put("$schema", SCHEMA);
        log.put("version", "2.1.0");
        ObjectNode run = log.putArray("runs").addObject();
        ObjectNode driver = run.putObject("tool").putObject("driver");
        driver.put("name", "rollguard");
        driver.put("version", context.toolVersion());
        Map<String, Integer> ruleIndex = new LinkedHashMap<>();
        ArrayNode rules = driver.putArray("rules");
        for (String rule : new TreeSet<>(report.findings().stream().map(Finding::rule).toList())) {
            ruleIndex.put(rule, ruleIndex.size());
            ObjectNode r = rules.addObject();
            r.put("id", rule);
            r.putObject("shortDescription").put("text", RuleCatalog.description(rule));
        }
        if (context.baseUri() != null) run.putObject("originalUriBaseIds").putObject(SRCROOT).put("uri", context.baseUri().toString());
        run.put("columnKind", "utf16CodeUnits");
        ObjectNode invocation = run.putArray("invocations").addObject();
        invocation.put("executionSuccessful", true);
        invocation.put("endTimeUtc", context.finished().toString());
        if (!report.notices().isEmpty()) {
            ArrayNode notes = invocation.putArray("toolExecutionNotifications");
            for (String n : report.notices()) {
                ObjectNode note = notes.addObject();
                note.put("level", "note");
                note.putObject("message").put("text", n);
            }
        }
        ArrayNode results = run.putArray("results");
        for (Finding f : report.findings()) {
            ObjectNode r = results.addObject();
            r.put("ruleId", f.rule());
            r.put("ruleIndex", ruleIndex.get(f.rule()));
            r.put("level", f.severity() == FindingSeverity.ERROR ? "error" : "warning");
            r.putObject("message").put("text", f.suggestion() == null ? f.message() : f.message() + " (" + f.suggestion() + ")");
            if (f.path() != null) {
                ObjectNode physical = r.putArray("locations").addObject().putObject("physicalLocation");
                physical.set("artifactLocation", artifact(context, f.path()));
                if (f.line() > 0) {
                    ObjectNode region = physical.putObject("region");
                    region.put("startLine", f.line());
                    if (f.column() > 0) region.put("startColumn", f.column());
                }
            }
            r.putObject("partialFingerprints").put("rollguardFinding/v1", f.id());
            if (f.fix() != null) fix(r, f.fix(), context);
        }
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(log) + "\n";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode artifact(ReportContext context, String path) {
        ObjectNode a = Json.MAPPER.createObjectNode();
        a.put("uri", uriReference(context.displayPath(path)));
        if (context.baseUri() != null) a.put("uriBaseId", SRCROOT);
        return a;
    }

    /** Percent-encodes what a URI reference may not hold (spaces, '%', '#', '?', non-ASCII), keeping '/'. */
    static String uriReference(String path) {
        StringBuilder sb = new StringBuilder();
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c > 32 && c < 127 && "%#?[]\"<>\\^`{|} ".indexOf(c) < 0) sb.append((char) c);
            else sb.append('%').append(String.format("%02X", c));
        }
        String s = sb.toString();
        return s.startsWith("/") ? "file://" + s : s;
    }

    private static void fix(ObjectNode result, Fix fix, ReportContext context) {
        Set<String> paths = fix.treeWide() ? context.tree().paths() : Set.of(fix.path());
        List<ObjectNode> changes = new ArrayList<>();
        Pattern pattern = Fixer.pattern(fix);
        for (String path : paths) {
            String content = context.tree().content(path);
            if (content == null) continue;
            Matcher m = pattern.matcher(content);
            ArrayNode replacements = null;
            LineIndex lines = null;
            while (m.find()) {
                if (replacements == null) {
                    ObjectNode change = Json.MAPPER.createObjectNode();
                    change.set("artifactLocation", artifact(context, path));
                    replacements = change.putArray("replacements");
                    lines = new LineIndex(content);
                    changes.add(change);
                }
                ObjectNode replacement = replacements.addObject();
                ObjectNode deleted = replacement.putObject("deletedRegion");
                deleted.put("startLine", lines.line(m.start()));
                deleted.put("startColumn", lines.column(m.start()));
                deleted.put("endLine", lines.line(m.end()));
                deleted.put("endColumn", lines.column(m.end()));
                replacement.putObject("insertedContent").put("text", fix.to());
            }
        }
        if (changes.isEmpty()) return;
        ObjectNode f = result.putArray("fixes").addObject();
        f.putObject("description").put("text", "replace '" + fix.from() + "' with '" + fix.to() + "'"
                + (fix.treeWide() ? " everywhere in the tree" : ""));
        f.putArray("artifactChanges").addAll(changes);
    }

    /** Offsets to 1-based lines and columns (UTF-16 code units, as the run declares). */
    private static final class LineIndex {
        private final List<Integer> starts = new ArrayList<>();

        LineIndex(String text) {
            starts.add(0);
            for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') starts.add(i + 1);
        }

        int line(int offset) {
            int i = Collections.binarySearch(starts, offset);
            return (i >= 0 ? i : -i - 2) + 1;
        }

        int column(int offset) {
            return offset - starts.get(line(offset) - 1) + 1;
        }
    }
}
