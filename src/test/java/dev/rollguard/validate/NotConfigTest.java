package dev.rollguard.validate;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.rollguard.validate.Trees.files;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** Files that are not the tree's configuration give no false alarm; the same mistakes in real config still do. */
class NotConfigTest {
    private static List<Finding> builtIn(Map<String, String> files) {
        List<Finding> out = new ArrayList<>();
        for (Validator v : Validation.builtInValidators()) out.addAll(Trees.run(v, files));
        return out;
    }

    @Test
    void ciDefinitionsAndFixturesInsideVendoredCodeAreNotConfig() {
        String ci = "steps:\n  - run: ./vendor/bin/phpunit\n";
        assertThat(builtIn(files("lib/vendor/acme/.github/workflows/ci.yml", ci, "lib/vendor/acme/.travis.yml", "script: ./vendor/bin/phpunit\n",
                "vendor/acme/json/tests/fixtures/broken.json", "{\"a\": }\n", "app/tests/fixtures/bad.yml", "a: [\n"))).isEmpty();
        // the same in the tree's own config is a finding
        assertThat(builtIn(files("config/app.yml", "script: ./bin/missing\n", "config/broken.json", "{\"a\": }\n")))
                .extracting(Finding::path).containsExactlyInAnyOrder("config/app.yml", "config/broken.json");
        assertThat(NotConfig.ci(".github/workflows/x.yml")).isTrue();
        assertThat(NotConfig.ci("config/github.yml")).isFalse();
        assertThat(NotConfig.fixture("vendor/a/b/tests/x.json")).isTrue();
        assertThat(NotConfig.fixture("tests/app.json")).isFalse();
    }

    @Test
    void xmlWithAByteOrderMarkParses() {
        assertThat(builtIn(files("config/app.xml", "\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config><a>1</a></config>\n"))).isEmpty();
        assertThat(builtIn(files("config/app.xml", "\uFEFF<?xml version=\"1.0\"?>\n<config><a>1</config>\n")))
                .extracting(Finding::path, Finding::line).containsExactly(tuple("config/app.xml", 2));
    }

    @Test
    void fail2bansVariableFamiliesAreNotTypos() {
        StringBuilder filter = new StringBuilder("[INCLUDES]\nbefore = common.conf\n\n[Definition]\n");
        for (int i = 0; i < 8; i++) filter.append("mdre-normal").append(i % 2 == 0 ? "" : i).append(" = x%(_pref)s\n");
        filter.append("mdpr-normal = y\nfailregex = %(mdre-normal)s\n");
        StringBuilder other = new StringBuilder();
        for (int i = 0; i < 8; i++) other.append("mdre-normal = z\n");
        assertThat(Trees.run(new SuspiciousTokenValidator(), files("fail2ban/filter.d/postfix.conf", filter.toString(), "fail2ban/common.conf", "x = 1\n",
                "fail2ban/filter.d/other.conf", "[Definition]\n" + other + "failregex = %(mdre-normal)s\n"))).isEmpty();
        assertThat(SuspiciousTokenValidator.definesVariables("[Definition]\nfailregex = %(x)s\n")).isTrue();
        assertThat(SuspiciousTokenValidator.definesVariables("ServerName x\n")).isFalse();
    }
}
