package dev.rollguard.versions;

import dev.rollguard.config.ServiceSpec;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.WireEntry;
import dev.rollguard.rollout.RolloutWorld;
import dev.rollguard.secrets.TestSealers;
import dev.rollguard.values.Templates;
import dev.rollguard.values.Values;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each host receives, without HTTP: its own rendering of a version's templates, a secret value opened only in the
 * bundle for its agent, masked everywhere people look.
 */
class BundlesTest {
    private static final String PASSWORD = "s3cret-" + System.nanoTime();

    @TempDir
    Path dir;
    RolloutWorld w;
    Bundles bundles;
    int version;

    @BeforeEach
    void setUp() {
        w = new RolloutWorld(dir);
        w.config.secretsWith(TestSealers.fresh());
        w.config.putService("wp", ServiceSpec.defaults());
        String sealed = w.config.seal(PASSWORD.getBytes(StandardCharsets.UTF_8));
        Map<String, String> files = new LinkedHashMap<>();
        files.put(Values.PATH, """
                defaults: {db_host: db}
                environments:
                  testing: {db_password: test-only}
                  production:
                    db_password: {secret: "%s"}
                """.formatted(sealed));
        files.put("wp-config.php.tmpl", "define('DB_PASSWORD', '{{db_password}}'); // {{rollguard.host}} in {{rollguard.env}}\n");
        files.put("static.txt", "{{ not a template }}\n");
        version = w.config.push("wp", files, "alice", "values", null, null).version().number();
        bundles = new Bundles(w.config, 1 << 20);
    }

    @AfterEach
    void tearDown() {
        w.close();
    }

    private static Map<String, String> files(AgentProtocol.Bundle b) {
        Map<String, String> out = new LinkedHashMap<>();
        for (WireEntry e : b.entries()) {
            if (e.base64() != null) out.put(e.path(), new String(Base64.getDecoder().decode(e.base64()), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void theAgentsBundleIsItsHostsRenderingWithTheSecretOpened() {
        AgentProtocol.Bundle b = bundles.forAgent("wp", version, "production", "web-1");
        assertThat(b.isFor("wp", version, "production", "web-1")).isTrue();
        assertThat(b.isFor("wp", version, "production", "web-2")).as("another host's rendering").isFalse();
        Map<String, String> files = files(b);
        assertThat(files).containsEntry("wp-config.php", "define('DB_PASSWORD', '" + PASSWORD + "'); // web-1 in production\n")
                .containsEntry("static.txt", "{{ not a template }}\n")
                .doesNotContainKeys(Values.PATH, "wp-config.php.tmpl");
        assertThat(files(bundles.forAgent("wp", version, "testing", "web-1"))).containsEntry("wp-config.php",
                "define('DB_PASSWORD', 'test-only'); // web-1 in testing\n");
    }

    @Test
    void everyoneElseSeesTheSecretMasked() {
        AgentProtocol.Bundle masked = bundles.withSecretsMasked("wp", version, "production", "web-1");
        assertThat(files(masked)).containsEntry("wp-config.php", "define('DB_PASSWORD', '" + Templates.MASK + "'); // web-1 in production\n");
        // the hash is of what was rendered: a masked bundle is never the agent's
        assertThat(masked.treeHash()).isNotEqualTo(bundles.forAgent("wp", version, "production", "web-1").treeHash());
        String json = bundles.maskedJson("wp", version, "production", "web-1");
        assertThat(json).doesNotContain(PASSWORD).contains("\"masked\"");
        assertThat(bundles.maskedJson("wp", version, null, null)).as("the tree as pushed holds the sealed value only").doesNotContain(PASSWORD);
    }
}
