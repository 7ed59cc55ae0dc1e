package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What counts as a secret in a world-readable file. The negative lines are the shapes that raised false warnings on
 * packages as shipped (postfixadmin's menu.conf, Zabbix's YAML templates with embedded scripts, php-saml's key handling);
 * the positive ones are settings a host must not show to every user.
 */
class ExposedSecretValidatorTest {

    private static List<Finding> check(String path, String text) {
        try (ValidationInput in = new ValidationInput(ConfigTree.of(Map.of(path, text)), null, null)) {
            return new ExposedSecretValidator().validate(in);
        }
    }

    @Test
    void literalSecretsInConfigFilesAreFound() {
        assertThat(check("db.ini", "password = hunter2\n")).hasSize(1);
        assertThat(check("wifi.yaml", "  password: \"v3ryS3kr1t\"\n")).hasSize(1);
        assertThat(check("app.conf", "api_key: 'sk-12345' # production\n")).hasSize(1);
        assertThat(check("modem.yaml", "      password: CINGULAR1\n")).hasSize(1);
        assertThat(check("wp-config.php", "define('DB_PASSWORD', 's3cret');\n")).hasSize(1);
        assertThat(check("site.key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"))
                .singleElement().satisfies(f -> assertThat(f.message()).contains("a private key"));
    }

    @Test
    void codePagesKeywordsAndPlaceholdersAreNotSecrets() {
        assertThat(check("menu.conf", "url_password = edit.php?table=adminpassword\nurl_user_password = password.php\n")).isEmpty();
        assertThat(check("template.yaml", """
                script: |
                    var Aranet = {
                        auth_token: null,
                        refresh_token: null,
                    };
                    Aranet.auth_token = result.response.auth;
                    Azure.token = result['access_token'];
                    Media.params.token = 'Basic ' + btoa(Media.params.user + ':' + Media.params.password);
                    getAuthToken: function (url, token) {
                    token: '',
                        password: SysAid.params.auth_password
                        'password': Primera.params.password
                """)).isEmpty();
        assertThat(check("app.conf", "password = change-me\ntoken = ${TOKEN}\nsecret: yes\n")).isEmpty();
        assertThat(check("template_app_activemq_jmx.yaml", "          password: '{$ACTIVEMQ.PASSWORD}'\n")).isEmpty();
        assertThat(check("Utils.php", "if (strpos($key, '-----BEGIN PRIVATE KEY-----') !== false) {\n"
                + "    $key = \"-----BEGIN RSA PRIVATE KEY-----\\n\".chunk_split($key, 64, \"\\n\");\n")).isEmpty();
    }
}
