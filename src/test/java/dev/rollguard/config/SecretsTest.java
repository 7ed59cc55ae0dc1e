package dev.rollguard.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 25.10: the secrets people could see, masked by the built-in patterns; and which files are sealed. */
class SecretsTest {
    private static final Secrets BUILT_IN = Secrets.builtIn();
    static final String PEM = """
            ssl_certificate_key inline:
            -----BEGIN RSA PRIVATE KEY-----
            MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun
            VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK
            LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo
            -----END RSA PRIVATE KEY-----
            done
            """;

    @Test
    void aKeyByItsNameIsShownToNobodyWhateverItHolds() {
        Secrets s = Secrets.of(null);
        assertThat(Secrets.isKeyFile("ssl/private/site.key")).isTrue();
        assertThat(Secrets.isKeyFile("keystore.P12")).isTrue();
        assertThat(Secrets.isKeyFile("home/deploy/.ssh/id_ed25519")).isTrue();
        assertThat(Secrets.isKeyFile("home/deploy/.ssh/id_ed25519.pub")).isFalse();
        assertThat(Secrets.isKeyFile("ssl/certs/site.pem")).as("certificates are public: their changes are shown").isFalse();
        assertThat(Secrets.isKeyFile("keys/README")).isFalse();
        assertThat(s.maskFile("tls/ticket.key", "0a1b2c3d\n4e5f\n")).isEqualTo("********\n********\n");
        assertThat(s.maskFile("app.ini", "name = x\npassword = y\n")).isEqualTo("name = x\npassword = ********\n");
        assertThat(s.maskFileBytes("site.p12", new byte[]{0, 1, 2})).isEqualTo("********".getBytes(StandardCharsets.US_ASCII));
        ConfigTree v1 = ConfigTree.of(Map.of("tls/ticket.key", "0a1b2c3d\n"));
        ConfigTree v2 = ConfigTree.of(Map.of("tls/ticket.key", "9f8e7d6c\n"));
        TreeDiff.FileDiff d = TreeDiff.between(v1, v2, "v1", "v2", s::maskFile).get(0);
        assertThat(d.unified()).contains("-********", "+********").doesNotContain("0a1b2c3d", "9f8e7d6c");
    }

    @Test
    void aPemPrivateKeysBodyIsMaskedLineByLine() {
        String masked = BUILT_IN.mask(PEM);
        assertThat(masked).doesNotContain("MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun").doesNotContain("LxoS2tFc")
                .contains("-----BEGIN RSA PRIVATE KEY-----\n********\n********\n********\n-----END RSA PRIVATE KEY-----\ndone");
        assertThat(masked.lines().count()).as("line count kept, so diffs line up").isEqualTo(PEM.lines().count());
        String pkcs8 = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
        assertThat(BUILT_IN.mask(pkcs8)).doesNotContain("MIIEvQ");
        assertThat(BUILT_IN.holds(PEM.getBytes(StandardCharsets.UTF_8))).isTrue();
        String certificate = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkq\n-----END CERTIFICATE-----\n";
        assertThat(BUILT_IN.mask(certificate)).as("a certificate is public").isEqualTo(certificate);
    }

    @Test
    void dotEnvValuesAndPasswordsInsideUrlsAreMasked() {
        String env = """
                APP_NAME=Laravel
                APP_KEY=base64:Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy
                export AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMIK7MDENG"
                DATABASE_URL=mysql://wp:hunter2@db.internal:3306/wordpress
                REDIS_URL=redis://:r3dispw@cache:6379/0
                LOG_LEVEL=debug
                """;
        String masked = BUILT_IN.mask(env);
        assertThat(masked).contains("APP_NAME=Laravel", "LOG_LEVEL=debug", "APP_KEY=********", "AWS_SECRET_ACCESS_KEY=\"********\"",
                        "DATABASE_URL=mysql://wp:********@db.internal:3306/wordpress", "redis://:********@cache")
                .doesNotContain("Zm9vYmFy", "wJalrXUtnFEMIK7MDENG", "hunter2", "r3dispw");
    }

    @Test
    void yamlPassValuesAreMaskedButNotWordsEndingInPass() {
        String yaml = """
                database:
                  user: wp
                  pass: hunter2
                  db_pass: "s3cret"
                  passphrase: 'open sesame'
                bypass: true
                """;
        String masked = BUILT_IN.mask(yaml);
        assertThat(masked).contains("user: wp", "pass: ********", "db_pass: \"********\"", "bypass: true")
                .doesNotContain("hunter2", "s3cret", "open");
    }

    @Test
    void slackWebhooksAndCredentialsInChannelUrlsAreMaskedWherePeopleSeeAChannel() {
        String slack = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";
        assertThat(BUILT_IN.mask("webhook: " + slack)).isEqualTo("webhook: https://hooks.slack.com/services/********");
        var channel = new IncidentSettings.Channel("ops", IncidentSettings.Kind.GENERIC, "https://alice:pa55word@hooks.example.com/x", "hmac", null, null);
        assertThat(channel.masked().url()).isEqualTo("https://alice:********@hooks.example.com/x");
        var slackChannel = new IncidentSettings.Channel("chat", IncidentSettings.Kind.SLACK, slack, null, null, null);
        assertThat(slackChannel.masked().url()).doesNotContain("XXXXXXXX");
        // the masked spec sent back keeps the stored URLs
        ServiceSpec stored = new ServiceSpec(null, null, null, null, new IncidentSettings(null, null, null, List.of(channel, slackChannel)),
                null, null, null);
        ServiceSpec again = stored.masked().keepingSecretsOf(stored);
        assertThat(again.incidents().channels()).extracting(IncidentSettings.Channel::url).containsExactly(channel.url(), slack);
    }

    @Test
    void aFileHoldsASecretWhateverItsEncoding() {
        byte[] latin1 = "<?php // café\ndefine('DB_PASSWORD', 'hunter2');\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(TreeEntry.file(latin1).binary()).as("not UTF-8").isTrue();
        assertThat(BUILT_IN.holds(latin1)).isTrue();
        assertThat(BUILT_IN.holds("<?php echo 1;\n".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(BUILT_IN.holds("define('DB_PASSWORD', '');\n".getBytes(StandardCharsets.UTF_8))).as("an empty value is no secret").isFalse();
    }

    @Test
    void aDiffShowsTheLinesOfAChangedKeyMasked() {
        String changed = PEM.replace("LxoS2tFc", "AAAAAAAA");
        ConfigTree a = ConfigTree.of(Map.of("key.conf", PEM));
        ConfigTree b = ConfigTree.of(Map.of("key.conf", changed));
        var diff = TreeDiff.between(a, b, "v1", "v2", BUILT_IN::mask).get(0);
        assertThat(diff.additions()).isEqualTo(1);
        assertThat(diff.changedLines()).extracting(TreeDiff.ChangedLine::text).containsOnly(Secrets.MASK);
        assertThat(diff.unified()).doesNotContain("LxoS2tFc").doesNotContain("AAAAAAAA").doesNotContain("VTLw7onL").contains("+********");
    }
}
