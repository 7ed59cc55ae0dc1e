package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ValidationSettings;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SyntaxValidatorTest {
    private static Finding only(String path, String content) {
        List<Finding> f = SyntaxValidator.check(path, content);
        assertThat(f).hasSize(1);
        return f.get(0);
    }

    @Test
    void json() {
        assertThat(SyntaxValidator.check("a.json", "{\"a\": [1, 2]}\n")).isEmpty();
        Finding f = only("a.json", "{\n  \"a\": 1,\n  \"b\": \n}\n");
        assertThat(f.line()).isEqualTo(4);
        assertThat(f.message()).startsWith("invalid JSON");
        assertThat(only("dup.json", "{\"a\": 1, \"a\": 2}").message()).contains("Duplicate field 'a'");
    }

    @Test
    void yaml() {
        assertThat(SyntaxValidator.check("a.yaml", "a: 1\nb:\n  - x\n---\nc: 2\n")).isEmpty();
        Finding f = only("a.yml", "a: 1\nb: [1, 2\nc: 3\n");
        assertThat(f.line()).isGreaterThanOrEqualTo(3);
        assertThat(f.message()).startsWith("invalid YAML");
        assertThat(only("d.yaml", "a: 1\na: 2\n").message()).contains("duplicate key");
    }

    @Test
    void xmlWithoutExternalEntities() {
        assertThat(SyntaxValidator.check("a.xml", "<?xml version=\"1.0\"?>\n<a><b/></a>\n")).isEmpty();
        Finding f = only("a.xml", "<a>\n  <b>\n</a>\n");
        assertThat(f.line()).isEqualTo(3);
        String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<a>&x;</a>\n";
        assertThat(SyntaxValidator.check("xxe.xml", xxe)).allSatisfy(x -> assertThat(x.message()).doesNotContain("root:"));
    }

    @Test
    void iniAndProperties() {
        assertThat(SyntaxValidator.check("php.ini", "; comment\n[PHP]\nmemory_limit = 128M\nname = \"x\"\n")).isEmpty();
        assertThat(only("php.ini", "[PHP]\nmemory_limit 128M\n").line()).isEqualTo(2);
        assertThat(only("php.ini", "[PHP\nx = 1\n").message()).contains("unterminated section");
        assertThat(SyntaxValidator.check("a.properties", "a=1\nb=\\u0041\n")).isEmpty();
        assertThat(only("a.properties", "a=1\nb=\\u00G1\n").line()).isEqualTo(2);
    }

    @Test
    void otherFilesAreNotParsed() {
        assertThat(SyntaxValidator.check("a.conf", "{{{ not json")).isEmpty();
    }

    @Test
    void withAParentTheErrorIsReportedAtTheChangedLine() {
        StringBuilder before = new StringBuilder("{\n  \"name\": \"fleet\",\n  \"inner\": {\"x\": 1},\n");
        for (int i = 0; i < 40; i++) before.append("  \"k").append(i).append("\": ").append(i).append(",\n");
        before.append("  \"last\": true\n}\n");
        // an unclosed brace: every following key is still valid, inside the wrong object, until the end
        String after = before.toString().replace("\"inner\": {\"x\": 1},", "\"inner\": {\"x\": 1,");
        var parent = ConfigTree.of(Map.of("servers.json", before.toString()));
        var tree = ConfigTree.of(Map.of("servers.json", after));
        // without the parent the parser's own position, far below the edit
        assertThat(only("servers.json", after).line()).isGreaterThan(10);
        try (ValidationInput in = new ValidationInput(tree, parent, ValidationSettings.DEFAULT)) {
            assertThat(new SyntaxValidator().validate(in)).singleElement().satisfies(f -> {
                assertThat(f.line()).isEqualTo(3);
                assertThat(f.message()).contains("the parser stopped at line");
            });
        }
    }
}
