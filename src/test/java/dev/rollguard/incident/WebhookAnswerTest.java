package dev.rollguard.incident;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.TestServer;
import dev.rollguard.net.EndlessAnswer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 25 items 1 and 8: a receiver answering with an endless or a trickling body costs the server a few KiB and ten
 * seconds per attempt, and what it answered is never shown to people (only the status).
 */
class WebhookAnswerTest {
    private TestServer ts;

    @AfterEach
    void cleanUp() {
        if (ts != null) ts.close();
    }

    private JsonNode firstNotification(String url) {
        ts = new TestServer();
        TestServer.Response r = ts.send("PUT", "/api/v1/services/wp", "{\"incidents\": {\"channels\": [{\"name\": \"hook\", \"kind\": \"generic\", \"url\": \""
                + url + "/hook\"}]}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        TestServer.Response opened = ts.send("POST", "/api/v1/incidents",
                "{\"service\": \"wp\", \"env\": \"production\", \"title\": \"checkout is slow\", \"severity\": \"SEV2\"}");
        assertThat(opened.status()).as(opened.body()).isEqualTo(201);
        int id = TestServer.json(opened).path("id").asInt();
        JsonNode[] n = new JsonNode[1];
        await().atMost(TestServer.PATIENCE).until(() -> {
            n[0] = ts.get("/api/v1/incidents/" + id).path("notifications").get(0);
            return n[0].path("attempts").asInt() >= 1;
        });
        return n[0];
    }

    @Test
    void anEndlessErrorBodyIsCutAndNotShown() throws Exception {
        try (EndlessAnswer endless = new EndlessAnswer(500, 0)) {
            JsonNode n = firstNotification(endless.url());
            assertThat(n.path("lastError").asText()).isEqualTo("HTTP 500");
            assertThat(endless.sent.get()).isLessThan(EndlessAnswer.FLOOD);
        }
    }

    @Test
    void aTricklingBodyTimesOut() throws Exception {
        try (EndlessAnswer trickle = new EndlessAnswer(500, 200)) {
            JsonNode n = firstNotification(trickle.url());
            assertThat(n.path("lastError").asText()).contains("did not end within");
        }
    }
}
