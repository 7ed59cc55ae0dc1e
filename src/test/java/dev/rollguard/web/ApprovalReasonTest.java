package dev.rollguard.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A refused release names the risk rule and the line that made the version high-risk, from the version's report. */
class ApprovalReasonTest {
    private TestServer ts;

    private static final String ROLLOUT = "\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}";

    @BeforeEach
    void setUp() {
        ts = new TestServer();
        ok(ts.send("PUT", "/api/v1/services/wp", "{" + ROLLOUT + "}"));
    }

    @AfterEach
    void cleanUp() {
        ts.close();
    }

    private static TestServer.Response ok(TestServer.Response r) {
        assertThat(r.status()).as(r.body()).isBetween(200, 299);
        return r;
    }

    private int push(String config) {
        return TestServer.json(ok(ts.send("POST", "/api/v1/services/wp/versions", "{\"files\": {\"wp-config.php\": \"" + config
                + "\"}, \"message\": \"m\"}"))).path("version").path("number").asInt();
    }

    private void release(String env, int v) {
        ok(ts.send("POST", "/api/v1/services/wp/environments/" + env + "/release", "{\"version\": " + v + "}"));
        await().atMost(TestServer.PATIENCE).until(() -> {
            for (JsonNode e : ts.get("/api/v1/services/wp/environments")) {
                if (e.path("name").asText().equals(env)) return e.path("releasedVersion").asInt() == v;
            }
            return false;
        });
    }

    @Test
    void aVersionRiskyOnlyAgainstItsParentSaysWhichRuleAndLine() {
        String withPassword = "<?php\\ndefine( 'DB_PASSWORD', 'a' );\\n";
        int v1 = push(withPassword);
        release("testing", v1);
        release("production", v1);
        // the service adopts a risk rule once production already runs the line it guards
        ok(ts.send("PUT", "/api/v1/services/wp", "{" + ROLLOUT + ", \"validation\": {\"riskRules\": [{\"id\": \"db\", \"pathGlob\": \"**\","
                + " \"lineRegex\": \"DB_PASSWORD\", \"reason\": \"credentials\"}]}}"));
        push("<?php\\n");
        // back to what production runs: nothing risky against it, but high-risk against its parent
        int v3 = push(withPassword);
        release("testing", v3);
        TestServer.Response refused = ts.send("POST", "/api/v1/services/wp/environments/production/release", "{\"version\": " + v3 + "}");
        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.body()).contains("approval_required", "db: wp-config.php:2 added (credentials)");
    }
}
