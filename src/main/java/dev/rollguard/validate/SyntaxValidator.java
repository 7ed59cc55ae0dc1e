package dev.rollguard.validate;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.rollguard.config.ConfigTree;
import org.xml.sax.InputSource;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.SAXParserFactory;

/** Parse errors in JSON, YAML, XML, INI and .properties files, with the parser's line and column. */
public final class SyntaxValidator implements Validator {
    public static final String RULE = "syntax";
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Pattern INI_SECTION = Pattern.compile("^\\s*\\[[^\\]]+\\]\\s*([;#].*)?$");
    private static final Pattern INI_KEY = Pattern.compile("^\\s*[^=\\[\\s][^=]*?\\s*=.*$");
    private static final Pattern BAD_UNICODE = Pattern.compile("(?<!\\\\)(\\\\\\\\)*\\\\u(?![0-9a-fA-F]{4})");

    @Override
    public String id() { return RULE; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        ConfigTree parent = input.parent();
        return input.tree().files().entrySet().parallelStream()
                .flatMap(e -> {
                    List<Finding> found = input.cache().get(RULE, e.getKey(), input.tree().hash(e.getKey()), () -> check(e.getKey(), e.getValue()));
                    String before = parent == null || found.isEmpty() ? null : parent.content(e.getKey());
                    if (before == null || before.equals(e.getValue()) || !check(e.getKey(), before).isEmpty()) return found.stream();
                    int[] changed = changedLines(before, e.getValue());
                    return found.stream().map(f -> atChange(f, changed));
                })
                .toList();
    }

    /**
     * A parse error far from the edit that caused it (an unclosed bracket reported where the parser gave up) is
     * reported at the first changed line, with the parser's position kept in the message: the parent parsed, so the
     * edit is the cause.
     */
    static Finding atChange(Finding f, int[] changed) {
        if (f.line() >= changed[0] - 1 && f.line() <= changed[1] + 1) return f;
        String where = f.line() > 0 ? " (the parser stopped at line " + f.line() + (f.column() > 0 ? ":" + f.column() : "") + ")"
                : " (the parser stopped at the end)";
        return Finding.of(f.rule(), f.severity(), f.path(), changed[0], 0, f.message() + where, f.suggestion(), f.fix());
    }

    /** First and last changed line (1-based, in the new text) between two versions of a file. */
    static int[] changedLines(String before, String after) {
        String[] a = before.split("\n", -1);
        String[] b = after.split("\n", -1);
        int first = 0;
        while (first < a.length && first < b.length && a[first].equals(b[first])) first++;
        int ea = a.length - 1;
        int eb = b.length - 1;
        while (ea >= first && eb >= first && a[ea].equals(b[eb])) {
            ea--;
            eb--;
        }
        return new int[] {first + 1, Math.max(first, eb) + 1};
    }

    static List<Finding> check(String path, String raw) {
        // fixtures may be broken on purpose (a parser's test cases)
        if (NotConfig.fixture(path)) return List.of();
        // a byte-order mark is the encoding's, not the document's: parsers reading bytes skip it ("not allowed in prolog")
        String content = raw.startsWith("\uFEFF") ? raw.substring(1) : raw;
        return switch (MissingReferenceValidator.extension(path)) {
            case "json" -> json(path, content);
            case "yaml", "yml" -> yaml(path, content);
            case "xml", "xsd", "xsl", "svg" -> xml(path, content);
            case "ini" -> ini(path, content);
            case "properties" -> properties(path, content);
            default -> List.of();
        };
    }

    private static List<Finding> json(String path, String content) {
        try (JsonParser p = JSON.createParser(content)) {
            while (p.nextToken() != null) {
                // walking every token is the validation
                if (p.currentToken() == JsonToken.NOT_AVAILABLE) break;
            }
            return List.of();
        } catch (JsonParseException e) {
            JsonLocation loc = e.getLocation();
            return List.of(Finding.error(RULE, path, loc == null ? 0 : loc.getLineNr(), loc == null ? 0 : loc.getColumnNr(),
                    "invalid JSON: " + e.getOriginalMessage()));
        } catch (IOException e) {
            return List.of(Finding.error(RULE, path, 0, 0, "invalid JSON: " + e.getMessage()));
        }
    }

    private static List<Finding> yaml(String path, String content) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(50);
        options.setAllowDuplicateKeys(false);
        options.setCodePointLimit(8 * 1024 * 1024);
        try {
            for (Object ignored : new Yaml(options).loadAll(content)) {
                // loading every document is the validation
            }
            return List.of();
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            String context = e.getContext() != null ? e.getContext() + ": " : "";
            return List.of(Finding.error(RULE, path, mark == null ? 0 : mark.getLine() + 1, mark == null ? 0 : mark.getColumn() + 1,
                    "invalid YAML: " + context + problem));
        } catch (YAMLException e) {
            return List.of(Finding.error(RULE, path, 0, 0, "invalid YAML: " + e.getMessage()));
        }
    }

    private static List<Finding> xml(String path, String content) {
        try {
            SAXParserFactory f = SAXParserFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.newSAXParser().parse(new InputSource(new StringReader(content)), new DefaultHandler());
            return List.of();
        } catch (SAXParseException e) {
            return List.of(Finding.error(RULE, path, Math.max(0, e.getLineNumber()), Math.max(0, e.getColumnNumber()),
                    "invalid XML: " + e.getMessage()));
        } catch (Exception e) {
            return List.of(Finding.error(RULE, path, 0, 0, "invalid XML: " + e.getMessage()));
        }
    }

    private static List<Finding> ini(String path, String content) {
        List<Finding> out = new ArrayList<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String t = line.strip();
            if (t.isEmpty() || t.startsWith(";") || t.startsWith("#")) continue;
            if (t.startsWith("[")) {
                if (!INI_SECTION.matcher(line).matches()) {
                    out.add(Finding.error(RULE, path, i + 1, line.indexOf('[') + 1, "invalid INI: unterminated section header"));
                }
            } else if (!INI_KEY.matcher(line).matches()) {
                out.add(Finding.error(RULE, path, i + 1, line.length() - line.stripLeading().length() + 1,
                        "invalid INI: expected 'key = value', '[section]' or a comment"));
            } else if (quotesUnbalanced(t.substring(t.indexOf('=') + 1).strip())) {
                out.add(Finding.error(RULE, path, i + 1, line.indexOf('=') + 2, "invalid INI: unterminated quoted value"));
            }
        }
        return out;
    }

    private static boolean quotesUnbalanced(String value) {
        if (value.startsWith("\"")) return value.length() < 2 || value.indexOf('"', 1) < 0;
        return false;
    }

    private static List<Finding> properties(String path, String content) {
        List<Finding> out = new ArrayList<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            var m = BAD_UNICODE.matcher(lines[i]);
            if (m.find() && !lines[i].stripLeading().startsWith("#") && !lines[i].stripLeading().startsWith("!")) {
                out.add(Finding.error(RULE, path, i + 1, m.end() - 1, "invalid properties: malformed \\uXXXX escape"));
            }
        }
        return out;
    }
}
