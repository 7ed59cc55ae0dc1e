package dev.rollguard.values;

import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TemplatesTest {
    private static final String VALUES = """
            defaults:
              db_host: localhost
              db_name: wordpress
              pool: 5
              region: ''
            environments:
              testing:
                db_host: db-test
              production:
                db_host: db-prod
                pool: 20
            groups:
              eu:
                hosts: [web-2, web-3]
                values: {region: eu-west}
            hosts:
              web-3:
                pool: 40
            templates:
              - "etc/*.conf"
            """;

    private static ConfigTree tree(Map<String, String> files) {
        return ConfigTree.of(files);
    }

    private static Templates.Facts facts(String env, String host) {
        return new Templates.Facts("wordpress", env, host, 7);
    }

    @Test
    void rendersPerEnvironmentAndHostAndStripsTheSuffix() {
        Templates t = Templates.of(tree(Map.of(Values.PATH, VALUES,
                "wp-config.php.tmpl", "<?php define('DB_HOST', '{{db_host}}'); // {{rollguard.env}} v{{rollguard.version}} on {{rollguard.host}}\n",
                "etc/pool.conf", "pool={{pool}}{{#region}} region={{region}}{{/region}}\n",
                "index.php", "<?php echo '{{ not a template }}';\n")));
        ConfigTree testing = t.render(facts("testing", "web-1"), Limits.DEFAULT);
        assertThat(testing.paths()).containsExactly("etc/pool.conf", "index.php", "wp-config.php");
        assertThat(testing.content("wp-config.php")).isEqualTo("<?php define('DB_HOST', 'db-test'); // testing v7 on web-1\n");
        assertThat(testing.content("index.php")).as("not a template: byte for byte").isEqualTo("<?php echo '{{ not a template }}';\n");
        assertThat(testing.content("etc/pool.conf")).isEqualTo("pool=5\n");
        assertThat(t.render(facts("production", "web-1"), Limits.DEFAULT).content("etc/pool.conf")).isEqualTo("pool=20\n");
        assertThat(t.render(facts("production", "web-2"), Limits.DEFAULT).content("etc/pool.conf")).isEqualTo("pool=20 region=eu-west\n");
        assertThat(t.render(facts("production", "web-3"), Limits.DEFAULT).content("etc/pool.conf")).as("host over group over env")
                .isEqualTo("pool=40 region=eu-west\n");
        assertThat(t.targets(List.of("testing", "production"))).extracting(Templates.Target::label)
                .containsExactly("testing", "production", "testing/web-2", "testing/web-3", "production/web-2", "production/web-3");
    }

    @Test
    void withoutAValuesFileNothingIsRendered() {
        ConfigTree raw = tree(Map.of("a.conf.tmpl", "{{x}}"));
        Templates t = Templates.of(raw);
        assertThat(t.renders()).isFalse();
        assertThat(t.render(facts("testing", "h"), Limits.DEFAULT)).isSameAs(raw);
    }

    @Test
    void anUndefinedValueIsAnErrorNamingFileLineAndRendering() {
        Templates t = Templates.of(tree(Map.of(Values.PATH, VALUES, "wp-config.php.tmpl", "<?php\n\ndefine('DB_USER', '{{db_user}}');\n")));
        assertThatThrownBy(() -> t.render(facts("production", Templates.EXAMPLE_HOST), Limits.DEFAULT))
                .isInstanceOfSatisfying(Problem.class, p -> {
                    assertThat(p.code()).isEqualTo("render_failed");
                    assertThat(p.status()).isEqualTo(422);
                    assertThat(p.getMessage()).isEqualTo("wp-config.php.tmpl:3: no value 'db_user' (rendering for production)");
                    assertThat(p.details()).containsEntry("line", 3).containsEntry("env", "production");
                });
    }

    @Test
    void aSectionOverAnUndefinedValueIsAnErrorToo() {
        Templates t = Templates.of(tree(Map.of(Values.PATH, VALUES, "a.conf.tmpl", "x\n{{#tls}}ssl on{{/tls}}\n")));
        assertThatThrownBy(() -> t.render(facts("testing", "h"), Limits.DEFAULT)).hasMessageStartingWith("a.conf.tmpl:2: no value 'tls'");
    }

    @Test
    void aTemplateSyntaxErrorNamesFileAndLine() {
        assertThatThrownBy(() -> Templates.of(tree(Map.of(Values.PATH, VALUES, "a.conf.tmpl", "one\ntwo {{#db_host}}\nthree {{/db_name}}\n"))))
                .isInstanceOfSatisfying(Problem.class, p -> {
                    assertThat(p.code()).isEqualTo("render_failed");
                    assertThat(p.getMessage()).startsWith("a.conf.tmpl:3: template syntax: ");
                });
        assertThatThrownBy(() -> Templates.of(tree(Map.of(Values.PATH, VALUES, "a.conf.tmpl", "one\ntwo {{db_host\n"))))
                .hasMessage("a.conf.tmpl:2: template syntax: '{{' is never closed by '}}'");
        assertThatThrownBy(() -> Templates.of(tree(Map.of(Values.PATH, VALUES, "a.conf.tmpl", "{{db_host}}\n{{#pool}}\n"))))
                .hasMessage("a.conf.tmpl:2: template syntax: Section missing close tag 'pool'");
    }

    @Test
    void secretsAreMaskedForPeopleAndRevealedOnlyWhenAsked() {
        Templates t = Templates.of(tree(Map.of(Values.PATH, """
                environments:
                  production:
                    db_password: {secret: "rg-sealed:v1:k1:AAAA"}
                  testing:
                    db_password: plain-for-testing
                """, "wp-config.php.tmpl", "define('DB_PASSWORD', '{{db_password}}');")));
        assertThat(t.render(facts("production", "h"), Limits.DEFAULT).content("wp-config.php")).isEqualTo("define('DB_PASSWORD', '********');");
        assertThat(t.render(facts("production", "h"), s -> "opened:" + s.text(), Limits.DEFAULT).content("wp-config.php"))
                .isEqualTo("define('DB_PASSWORD', 'opened:rg-sealed:v1:k1:AAAA');");
        assertThat(t.values().secrets()).extracting(Values.Secret::text).containsExactly("rg-sealed:v1:k1:AAAA");
    }

    @Test
    void malformedValuesFilesAreRefusedNamingTheProblem() {
        assertThat(refusal("defaults: [a, b]\n")).isEqualTo(Values.PATH + ": defaults must map value names to values, not a list");
        assertThat(refusal("defaults:\n  a: 1\n  b: [\n")).startsWith(Values.PATH + ": line ");
        assertThat(refusal("default:\n  a: 1\n")).contains("unknown section 'default'");
        assertThat(refusal("environments:\n  production: db-prod\n")).contains("environments.production must map value names to values");
        assertThat(refusal("groups:\n  eu: {values: {a: 1}}\n")).contains("groups.eu needs 'hosts'");
        assertThat(refusal("defaults:\n  db.host: x\n")).contains("'db.host' is not a value's name");
        assertThat(refusal("defaults:\n  a:\n")).contains("defaults.a has no value");
        assertThat(refusal("defaults:\n  p: {secret: ''}\n")).contains("defaults.p: a secret is one non-empty text");
        assertThat(refusal("templates: '*.conf'\n")).contains("templates must be a list of globs");
        assertThat(refusal("- a\n- b\n")).contains("the file must be a map");
    }

    private static String refusal(String values) {
        try {
            Templates.of(tree(Map.of(Values.PATH, values)));
        } catch (Problem p) {
            assertThat(p.status()).isEqualTo(400);
            assertThat(p.code()).isEqualTo("invalid_values");
            return p.getMessage();
        }
        throw new AssertionError("accepted: " + values);
    }
}
