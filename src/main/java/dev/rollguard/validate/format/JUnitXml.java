package dev.rollguard.validate.format;

import dev.rollguard.validate.Finding;
import dev.rollguard.validate.ValidationReport;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

/**
 * JUnit XML in the Ant schema that Jenkins and GitLab read: one test suite, a failing test case per finding (named
 * after its file, line and rule, so a CI page lists them like failed tests) and a passing one per clean file.
 * Written through the JDK's DOM, so every message is escaped as XML requires.
 */
public final class JUnitXml {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    private JUnitXml() {}

    public static String render(ValidationReport report, ReportContext context) {
        try {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
            Element suite = doc.createElement("testsuite");
            doc.appendChild(suite);
            Set<String> withFindings = new HashSet<>();
            report.findings().forEach(f -> withFindings.add(f.path()));
            int clean = (int) context.tree().paths().stream().filter(p -> !withFindings.contains(p)).count();
            suite.setAttribute("name", "rollguard validate");
            suite.setAttribute("timestamp", TIMESTAMP.format(context.finished().truncatedTo(ChronoUnit.SECONDS)));
            suite.setAttribute("hostname", context.hostname());
            suite.setAttribute("tests", Integer.toString(report.findings().size() + clean));
            suite.setAttribute("failures", Integer.toString(report.findings().size()));
            suite.setAttribute("errors", "0");
            suite.setAttribute("skipped", "0");
            suite.setAttribute("time", seconds(report.durationMillis()));
            suite.appendChild(doc.createElement("properties"));
            for (Finding f : report.findings()) {
                Element testcase = testcase(doc, f.path() == null ? "tree" : context.displayPath(f.path()),
                        location(f) + f.rule());
                Element failure = doc.createElement("failure");
                failure.setAttribute("message", xmlText(f.message()));
                failure.setAttribute("type", f.severity().name().toLowerCase(Locale.ROOT) + " " + f.rule());
                failure.setTextContent(xmlText(f.render()));
                testcase.appendChild(failure);
                suite.appendChild(testcase);
            }
            for (String path : context.tree().paths()) {
                if (!withFindings.contains(path)) suite.appendChild(testcase(doc, context.displayPath(path), "valid"));
            }
            Element out = doc.createElement("system-out");
            out.setTextContent(report.errors() + " error(s), " + report.warnings() + " warning(s) in " + context.tree().size() + " file(s)");
            suite.appendChild(out);
            Element err = doc.createElement("system-err");
            err.setTextContent(xmlText(String.join("\n", report.notices())));
            suite.appendChild(err);
            StringWriter w = new StringWriter();
            var transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.INDENT, "yes");
            transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            transformer.transform(new DOMSource(doc), new StreamResult(w));
            return w + "\n";
        } catch (ParserConfigurationException | TransformerException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Element testcase(Document doc, String classname, String name) {
        Element testcase = doc.createElement("testcase");
        testcase.setAttribute("classname", xmlText(classname));
        testcase.setAttribute("name", name);
        testcase.setAttribute("time", "0");
        return testcase;
    }

    /** XML 1.0 cannot carry most control characters, even escaped; a validator's output may hold them. */
    static String xmlText(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> sb.appendCodePoint(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
                || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000 ? c : 0xFFFD));
        return sb.toString();
    }

    private static String location(Finding f) {
        if (f.line() <= 0) return "";
        return f.line() + (f.column() > 0 ? ":" + f.column() : "") + " ";
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }
}
