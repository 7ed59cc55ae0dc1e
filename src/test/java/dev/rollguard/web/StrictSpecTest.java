package dev.rollguard.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Problem;
import dev.rollguard.TestServer;
import dev.rollguard.config.ServiceSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 25 (Lows): a spec key the server does not know is refused, naming it (a misspelt {@code riskRule} silently turned
 * the two-person rule off), and strings in a body may be as long as the body limit allows (Jackson's own 20 million
 * characters refused a 14.3 MiB file, base64-encoded, under the documented 16 MiB).
 */
class StrictSpecTest {
    private TestServer ts;

    @AfterEach
    void cleanUp() {
        if (ts != null) ts.close();
    }

    @Test
    void anUnknownSpecKeyIsRefusedByItsPath() {
        ts = new TestServer();
        TestServer.Response r = ts.send("PUT", "/api/v1/services/wp",
                "{\"validation\": {\"riskRule\": [{\"name\": \"db\", \"paths\": [\"wp-config.php\"]}]}}");
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        JsonNode error = TestServer.json(r).path("error");
        assertThat(error.path("code").asText()).isEqualTo("unknown_key");
        assertThat(error.path("message").asText()).contains("unknown key 'validation.riskRule'", "riskRules");
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"rolout\": {}}").body()).contains("unknown key 'rolout'");
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"rollout\": {\"waves\": [{\"percent\": 100, \"bake\": 5}]}}").body())
                .contains("unknown key 'rollout.waves.[0].bake'", "bakeSeconds");
        // nothing was stored; a spec with known keys only is
        assertThat(ts.send("GET", "/api/v1/services/wp", null).status()).isEqualTo(404);
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"validation\": {\"riskRules\": []}}").status()).isEqualTo(200);
    }

    @Test
    void duplicateKeysAreRefused() {
        assertThatThrownBy(() -> ApiServer.parseStrict("{\"environments\": [\"a\"], \"environments\": [\"b\"]}", ServiceSpec.class))
                .isInstanceOfSatisfying(Problem.class, e -> assertThat(e.getMessage()).contains("Duplicate field 'environments'"));
    }

    @Test
    void aStringLongerThanJacksonsDefaultLimitIsRead() {
        String big = "A".repeat(21_000_000);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = ApiServer.parse("{\"f\": \"" + big + "\"}", Map.class);
        assertThat(((String) m.get("f")).length()).isEqualTo(21_000_000);
    }
}
