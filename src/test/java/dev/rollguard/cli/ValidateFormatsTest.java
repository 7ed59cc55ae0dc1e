package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.rollguard.Json;
import dev.rollguard.cli.CliTest.Run;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sim.WordPressLikeTree;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.Fixer;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;

import static dev.rollguard.cli.CliTest.run;
import static dev.rollguard.cli.CliTest.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** `rollguard validate --format sarif|junit|github`: each output checked by the schema or parser its consumers use. */
class ValidateFormatsTest {
    @TempDir
    static Path dir;

    static Map<String, String> broken;
    static Path tree;

    @BeforeAll
    static void tree() throws Exception {
        broken = new HashMap<>(WordPressLikeTree.withTypo(WordPressLikeTree.generate(300, 5)));
        // a path and a message with every character the formats must escape: spaces, ',', ':', '%', '<', '&', quotes
        broken.put("conf/a b,c:d%e.json", "{\"k\": 1, \"k\": \"<&>\"}");
        tree = write(dir.resolve("tree"), broken);
    }

    @Test
    void sarifPassesTheOfficialSchemaAndItsFixesReplaceWhatTheFixerReplaces() throws Exception {
        Run r = run("validate", tree.toString(), "--builtin-only", "--format", "sarif");
        assertThat(r.code()).isEqualTo(1);
        JsonNode log = Json.MAPPER.readTree(r.out());

        JsonSchema schema;
        try (InputStream in = getClass().getResourceAsStream("/schemas/sarif-schema-2.1.0.json")) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
        assertThat(schema.validate(log)).as(r.out()).isEmpty();
        // the check can fail: a level SARIF does not know is refused
        ObjectNode wrong = log.deepCopy();
        ((ObjectNode) wrong.at("/runs/0/results/0")).put("level", "fatal");
        assertThat(schema.validate(wrong)).isNotEmpty();

        JsonNode run = log.at("/runs/0");
        List<String> ruleIds = new ArrayList<>();
        run.at("/tool/driver/rules").forEach(rule -> {
            ruleIds.add(rule.get("id").asText());
            assertThat(rule.at("/shortDescription/text").asText()).isNotBlank();
        });
        assertThat(ruleIds).contains("missing-reference", "suspicious-token", "syntax");
        JsonNode typo = null;
        for (JsonNode result : run.get("results")) {
            assertThat(ruleIds.get(result.get("ruleIndex").asInt())).isEqualTo(result.get("ruleId").asText());
            if (result.get("ruleId").asText().equals("suspicious-token")) typo = result;
        }
        assertThat(typo).isNotNull();
        JsonNode location = typo.at("/locations/0/physicalLocation");
        assertThat(location.at("/artifactLocation/uri").asText()).isEqualTo(Sarif_uri("wp-settings.php"));
        assertThat(location.at("/region/startLine").asInt()).isPositive();
        JsonNode syntax = null;
        for (JsonNode result : run.get("results")) if (result.get("ruleId").asText().equals("syntax")) syntax = result;
        assertThat(syntax.at("/locations/0/physicalLocation/artifactLocation/uri").asText())
                .endsWith("conf/a%20b,c:d%25e.json");

        // the SARIF fix, applied as a code-scanning page would, gives exactly what `rollguard fix` makes of the file
        JsonNode change = typo.at("/fixes/0/artifactChanges/0");
        assertThat(change.isMissingNode()).isFalse();
        String uri = change.at("/artifactLocation/uri").asText();
        String path = uri.substring(uri.indexOf("tree/") + "tree/".length());
        String fixed = applyReplacements(broken.get(path), change.get("replacements"));
        ValidationReport report = Validation.builtIn().run(ConfigTree.of(broken), null, ValidationSettings.DEFAULT);
        Finding finding = report.findings().stream().filter(f -> f.rule().equals("suspicious-token")).findFirst().orElseThrow();
        assertThat(fixed).isEqualTo(Fixer.apply(ConfigTree.of(broken), List.of(finding)).tree().content(path));
        assertThat(fixed).doesNotContain(".phpp'");
    }

    private static String Sarif_uri(String path) {
        return Path.of("").toAbsolutePath().normalize().relativize(tree.toAbsolutePath()).toString().startsWith("..")
                ? "file://" + tree.toAbsolutePath() + "/" + path : tree + "/" + path;
    }

    /** Applies SARIF replacements (1-based lines and columns, end exclusive), last first so earlier ones stay valid. */
    static String applyReplacements(String content, JsonNode replacements) {
        List<Integer> starts = new ArrayList<>(List.of(0));
        for (int i = 0; i < content.length(); i++) if (content.charAt(i) == '\n') starts.add(i + 1);
        StringBuilder sb = new StringBuilder(content);
        List<JsonNode> all = new ArrayList<>();
        replacements.forEach(all::add);
        for (int i = all.size() - 1; i >= 0; i--) {
            JsonNode d = all.get(i).get("deletedRegion");
            int from = starts.get(d.get("startLine").asInt() - 1) + d.get("startColumn").asInt() - 1;
            int to = starts.get(d.get("endLine").asInt() - 1) + d.get("endColumn").asInt() - 1;
            sb.replace(from, to, all.get(i).at("/insertedContent/text").asText());
        }
        return sb.toString();
    }

    @Test
    void junitXmlPassesTheAntJUnitSchemaAndReadsBackAsFailedTests() throws Exception {
        Run r = run("validate", tree.toString(), "--builtin-only", "--format", "junit");
        assertThat(r.code()).isEqualTo(1);
        var schema = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
                .newSchema(new StreamSource(getClass().getResource("/schemas/JUnit.xsd").toString()));
        schema.newValidator().validate(new StreamSource(new StringReader(r.out())));
        // the check can fail: a test case without its required classname is refused
        String wrong = r.out().replaceFirst("classname=\"[^\"]*\"", "");
        assertThatThrownBy(() -> schema.newValidator().validate(new StreamSource(new StringReader(wrong))))
                .isInstanceOf(SAXException.class);

        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.out().getBytes(StandardCharsets.UTF_8)));
        Element suite = doc.getDocumentElement();
        NodeList cases = suite.getElementsByTagName("testcase");
        NodeList failures = suite.getElementsByTagName("failure");
        ValidationReport report = Validation.builtIn().run(ConfigTree.of(broken), null, ValidationSettings.DEFAULT);
        assertThat(failures.getLength()).isEqualTo(report.findings().size()).isEqualTo(Integer.parseInt(suite.getAttribute("failures")));
        assertThat(cases.getLength()).isEqualTo(Integer.parseInt(suite.getAttribute("tests")));
        Set<String> files = new TreeSet<>();
        List<String> messages = new ArrayList<>();
        for (int i = 0; i < failures.getLength(); i++) {
            Element failure = (Element) failures.item(i);
            files.add(((Element) failure.getParentNode()).getAttribute("classname"));
            messages.add(failure.getAttribute("message"));
        }
        assertThat(files).anyMatch(f -> f.endsWith("tree/wp-settings.php")).anyMatch(f -> f.endsWith("tree/conf/a b,c:d%e.json"));
        assertThat(messages).anyMatch(m -> m.contains("'.phpp' looks like a typo"));
    }

    @Test
    void githubAnnotationsAreEscapedAsTheActionsToolkitDoes() {
        Run r = run("validate", tree.toString(), "--builtin-only", "--format", "github");
        assertThat(r.code()).isEqualTo(1);
        List<String> lines = r.out().lines().toList();
        assertThat(lines).anyMatch(l -> l.matches("::error file=[^,]*tree/wp-settings\\.php,line=\\d+,col=\\d+,title=rollguard suspicious-token::"
                + "'\\.phpp' looks like a typo.*%0Adid you mean '\\.php'\\?"));
        // ',' and ':' in a property would end it early; '%' must not read as an escape
        assertThat(lines).anyMatch(l -> l.startsWith("::error file=") && l.contains("tree/conf/a b%2Cc%3Ad%25e.json,line=1,"));
        assertThat(lines.stream().filter(l -> l.startsWith("::")).count())
                .isEqualTo(Validation.builtIn().run(ConfigTree.of(broken), null, ValidationSettings.DEFAULT).findings().size());
    }

    @Test
    void formatsAndTheJsonAliasAndTheirUsageErrors() {
        Run alias = run("validate", tree.toString(), "--builtin-only", "--json");
        Run json = run("validate", tree.toString(), "--builtin-only", "--format", "json");
        assertThat(alias.code()).isEqualTo(1);
        assertThat(json.code()).isEqualTo(1);
        assertThat(Json.read(alias.out(), ValidationReport.class).findings())
                .isEqualTo(Json.read(json.out(), ValidationReport.class).findings());
        assertThat(run("validate", tree.toString(), "--builtin-only", "--format", "text").out()).contains("error(s)");
        Run unknown = run("validate", tree.toString(), "--format", "xml");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown format 'xml'");
        assertThat(run("validate", tree.toString(), "--json", "--format", "sarif").code()).isEqualTo(2);
    }
}
