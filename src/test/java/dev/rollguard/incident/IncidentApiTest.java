package dev.rollguard.incident;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.net.OutgoingPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Incidents through the real API: webhook retries, Alertmanager intake, health breaches, people's actions. */
class IncidentApiTest {
    private TestServer ts;
    private WebhookReceiver rx;

    @AfterEach
    void cleanUp() {
        if (rx != null) rx.close();
        if (ts != null) ts.close();
    }

    private void service(String channelsJson) {
        TestServer.Response r = ts.send("PUT", "/api/v1/services/wp", "{\"incidents\": {\"sloMinRequests\": 50, \"channels\": ["
                + channelsJson + "]}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aDeadReceiverGetsEveryNotificationInOrderOnceItIsBack() throws Exception {
        ts = new TestServer();
        int port = TestServer.freePort();
        service("{\"name\": \"hook\", \"kind\": \"generic\", \"url\": \"http://127.0.0.1:" + port + "/hook\", \"secret\": \"k\"}");
        TestServer.Response opened = ts.send("POST", "/api/v1/incidents",
                "{\"service\": \"wp\", \"env\": \"production\", \"title\": \"checkout is slow\", \"severity\": \"SEV2\"}");
        assertThat(opened.status()).as(opened.body()).isEqualTo(201);
        int id = TestServer.json(opened).path("id").asInt();
        // the receiver is down: attempts pile up with backoff, the API stays responsive
        await().atMost(TestServer.PATIENCE).until(() ->
                ts.get("/api/v1/incidents/" + id).path("notifications").get(0).path("attempts").asInt() >= 2);
        // the API answers while every delivery is still pending (no wall-clock bound: the machine may be busy)
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/acknowledge", "{}").status()).isEqualTo(200);
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/resolve", "{\"text\": \"cache warmed\"}").status()).isEqualTo(200);
        JsonNode pending = ts.get("/api/v1/incidents/" + id).path("notifications");
        assertThat(pending.findValuesAsText("status")).containsOnly("PENDING");
        assertThat(pending.get(0).path("lastError").asText()).isNotEmpty();

        rx = new WebhookReceiver(port, 0);
        await().atMost(TestServer.PATIENCE).until(() -> rx.at("/hook").size() == 3);
        List<String> events = rx.at("/hook").stream().map(r -> Json.read(r.body(), JsonNode.class).path("event").asText()).toList();
        assertThat(events).containsExactly("incident.trigger", "incident.acknowledge", "incident.resolve");
        for (WebhookReceiver.Received r : rx.at("/hook")) {
            assertThat(Webhooks.verify("k", r.signature(), r.body(), Instant.now().getEpochSecond(), 300)).isTrue();
        }
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/incidents/" + id).path("notifications")
                .findValuesAsText("status").stream().allMatch("SENT"::equals));
        List<String> types = ts.get("/api/v1/incidents/" + id).path("timeline").findValuesAsText("type");
        assertThat(types).contains("opened", "alert_failed", "alert_acknowledged", "resolved", "alert_sent");
    }

    /** Issue 25 item 8: a channel pointing at the server's own loopback is never sent to unless the operator allows it. */
    @Test
    void aChannelToALoopbackAddressIsRefusedByTheDefaultPolicy() throws Exception {
        ts = new TestServer(OutgoingPolicy.PUBLIC_ONLY);
        int port = TestServer.freePort();
        rx = new WebhookReceiver(port, 0);
        service("{\"name\": \"hook\", \"kind\": \"generic\", \"url\": \"http://localhost:" + port + "/hook\"}");
        TestServer.Response opened = ts.send("POST", "/api/v1/incidents",
                "{\"service\": \"wp\", \"env\": \"production\", \"title\": \"checkout is slow\", \"severity\": \"SEV2\"}");
        assertThat(opened.status()).as(opened.body()).isEqualTo(201);
        int id = TestServer.json(opened).path("id").asInt();
        await().atMost(TestServer.PATIENCE).until(() -> !ts.get("/api/v1/incidents/" + id).path("notifications").get(0)
                .path("status").asText().equals("PENDING"));
        JsonNode n = ts.get("/api/v1/incidents/" + id).path("notifications").get(0);
        assertThat(n.path("status").asText()).isEqualTo("FAILED");
        assertThat(n.path("lastError").asText()).contains("loopback address", "--allow-outgoing loopback");
        assertThat(rx.at("/hook")).isEmpty();
    }

    @Test
    void alertmanagerPayloadsAreCheckedAndOpenOneIncidentPerAlert() {
        ts = new TestServer();
        service("");
        Map<String, String> malformed = Map.of(
                "not json", "not valid JSON",
                "[]", "must be a JSON object",
                "{\"version\": \"4\"}", "'alerts' must be an array",
                "{\"alerts\": []}", "'alerts' is empty",
                "{\"version\": \"3\", \"alerts\": [{}]}", "unsupported Alertmanager webhook version",
                "{\"alerts\": [{\"status\": \"burning\", \"labels\": {\"alertname\": \"x\", \"service\": \"wp\"}}]}", "alerts[0].status must be",
                "{\"alerts\": [{\"status\": \"firing\", \"labels\": {\"service\": \"wp\"}, \"startsAt\": \"2026-01-01T00:00:00Z\"}]}",
                "alerts[0].labels.alertname is missing",
                "{\"alerts\": [{\"status\": \"firing\", \"labels\": {\"alertname\": \"x\"}, \"startsAt\": \"2026-01-01T00:00:00Z\"}]}",
                "names no service",
                "{\"alerts\": [{\"status\": \"firing\", \"labels\": {\"alertname\": \"x\", \"service\": \"wp\"}, \"startsAt\": \"yesterday\"}]}",
                "alerts[0].startsAt is not an RFC 3339 time",
                "{\"alerts\": [{\"status\": \"firing\", \"labels\": {\"alertname\": 5, \"service\": \"wp\"}}]}", "alerts[0].labels.alertname must be a string");
        malformed.forEach((body, message) -> {
            TestServer.Response r = ts.send("POST", "/api/v1/alerts/alertmanager", body);
            assertThat(r.status()).as(body + " -> " + r.body()).isEqualTo(400);
            assertThat(TestServer.json(r).path("error").path("code").asText()).isEqualTo("invalid_alertmanager_payload");
            assertThat(TestServer.json(r).path("error").path("message").asText()).as(body).contains(message);
        });
        String firing = """
                {"version": "4", "groupKey": "{}:{alertname=\\"HighErrorRate\\"}", "status": "firing", "receiver": "rollguard",
                 "commonLabels": {"service": "wp", "env": "production"},
                 "alerts": [{"status": "firing", "labels": {"alertname": "HighErrorRate", "severity": "critical", "instance": "web-1"},
                             "annotations": {"summary": "5xx above 10% on web-1"}, "startsAt": "2026-11-25T10:00:00.000Z",
                             "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "abc123"}]}""";
        JsonNode first = TestServer.json(ts.send("POST", "/api/v1/alerts/alertmanager", firing));
        JsonNode again = TestServer.json(ts.send("POST", "/api/v1/alerts/alertmanager", firing));
        assertThat(first.path("incidents")).hasSize(1);
        assertThat(again.path("incidents").get(0).asInt()).isEqualTo(first.path("incidents").get(0).asInt());
        int id = first.path("incidents").get(0).asInt();
        JsonNode inc = ts.get("/api/v1/incidents/" + id).path("incident");
        assertThat(inc.path("source").asText()).isEqualTo("ALERTMANAGER");
        assertThat(inc.path("severity").asText()).isEqualTo("SEV2");
        assertThat(inc.path("title").asText()).isEqualTo("5xx above 10% on web-1");
        assertThat(ts.send("POST", "/api/v1/alerts/alertmanager?service=nope", firing.replace("\"service\": \"wp\", ", "")).status())
                .isEqualTo(404);
        TestServer.Response resolved = ts.send("POST", "/api/v1/alerts/alertmanager", firing.replace("\"status\": \"firing\"", "\"status\": \"resolved\"")
                .replace("0001-01-01T00:00:00Z", "2026-11-25T10:05:00Z"));
        assertThat(resolved.status()).isEqualTo(200);
        inc = ts.get("/api/v1/incidents/" + id).path("incident");
        assertThat(inc.path("status").asText()).isEqualTo("MITIGATED");
        assertThat(inc.path("mitigatedAt").asText()).isEqualTo("2026-11-25T10:05:00Z");
        assertThat(ts.get("/api/v1/incidents/" + id).path("timeline").findValuesAsText("type")).contains("alert_firing", "alert_resolved");
    }

    private void report(String host, int requests, int errors) {
        Instant end = Instant.now();
        String body = Json.write(Map.of("appliedVersion", 1, "samples", List.of(Map.of("start", end.minusMillis(500).toString(),
                "end", end.toString(), "version", 1, "requests", requests, "errors", errors, "p99Millis", 5.0, "latencySamples", requests))));
        TestServer.Response r = ts.send("POST", "/api/v1/agents/wp/production/" + host + "/report", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aHealthBreachOutsideRolloutsOpensAnIncidentAndItsRecoveryMitigatesIt() {
        ts = new TestServer();
        service("");
        for (String h : List.of("a", "b")) {
            assertThat(ts.send("POST", "/api/v1/agents/register", "{\"service\": \"wp\", \"env\": \"production\", \"host\": \"" + h + "\"}")
                    .status()).isEqualTo(200);
        }
        report("a", 100, 0);
        report("b", 100, 1);
        await().during(Duration.ofMillis(1500)).atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/incidents").isEmpty());
        report("a", 100, 0);
        report("b", 100, 60);
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/incidents").size() == 1);
        JsonNode inc = ts.get("/api/v1/incidents").get(0);
        assertThat(inc.path("source").asText()).isEqualTo("HEALTH");
        assertThat(inc.path("title").asText()).contains("production").contains("SLO 5.0%");
        int id = inc.path("id").asInt();
        await().atMost(TestServer.PATIENCE).pollInterval(Duration.ofMillis(300)).until(() -> {
            report("a", 100, 0);
            report("b", 100, 0);
            return ts.get("/api/v1/incidents/" + id).path("incident").path("status").asText().equals("MITIGATED");
        });
        JsonNode impact = ts.get("/api/v1/incidents/" + id).path("incident").path("impact");
        assertThat(impact.path("requestsFailed").asLong()).isEqualTo(61);
        assertThat(impact.path("hostsAffected").asInt()).isEqualTo(1);
        // the breach was handled: the same old failures do not open a second incident
        await().during(Duration.ofMillis(1500)).atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/incidents").size() == 1);
    }

    @Test
    void peopleManageIncidentsAndActionItems() {
        ts = new TestServer();
        service("");
        assertThat(ts.send("POST", "/api/v1/incidents", "{\"service\": \"wp\", \"title\": \"\"}").status()).isEqualTo(400);
        assertThat(ts.send("POST", "/api/v1/incidents", "{\"service\": \"nope\", \"title\": \"x\"}").status()).isEqualTo(404);
        assertThat(ts.send("POST", "/api/v1/incidents", "{\"service\": \"wp\", \"title\": \"x\", \"severity\": \"SEV9\"}").status())
                .isEqualTo(400);
        assertThat(ts.send("GET", "/api/v1/incidents/abc", null).status()).isEqualTo(400);
        assertThat(ts.send("GET", "/api/v1/incidents/99", null).status()).isEqualTo(404);
        int id = TestServer.json(ts.send("POST", "/api/v1/incidents", "{\"service\": \"wp\", \"env\": \"production\", \"title\": \"login broken\"}"))
                .path("id").asInt();
        JsonNode updated = TestServer.json(ts.send("PATCH", "/api/v1/incidents/" + id, "{\"commander\": \"bob\", \"severity\": \"SEV1\"}"));
        assertThat(updated.path("commander").asText()).isEqualTo("bob");
        assertThat(updated.path("severity").asText()).isEqualTo("SEV1");
        int action = TestServer.json(ts.send("POST", "/api/v1/incidents/" + id + "/actions", "{\"title\": \"add a login probe\", \"owner\": \"carol\"}"))
                .path("id").asInt();
        assertThat(ts.get("/api/v1/actions?status=open")).hasSize(1);
        assertThat(ts.send("PATCH", "/api/v1/actions/" + action, "{\"status\": \"finished\"}").status()).isEqualTo(400);
        assertThat(TestServer.json(ts.send("PATCH", "/api/v1/actions/" + action, "{\"status\": \"done\"}")).path("doneAt").isNull()).isFalse();
        assertThat(ts.get("/api/v1/actions?status=open")).isEmpty();
        assertThat(ts.send("PUT", "/api/v1/incidents/" + id + "/postmortem", "# edited by hand\n").status()).isEqualTo(200);
        assertThat(ts.send("GET", "/api/v1/incidents/" + id + "/postmortem", null).body()).isEqualTo("# edited by hand\n");
        assertThat(ts.send("GET", "/api/v1/incidents/" + id + "/postmortem?fresh=true", null).body()).contains("## Timeline", "add a login probe");
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/resolve", "").status()).isEqualTo(200);
        assertThat(ts.send("POST", "/api/v1/incidents/" + id + "/resolve", "").status()).isEqualTo(409);
        assertThat(ts.get("/api/v1/incidents?status=resolved")).hasSize(1);
        assertThat(ts.send("GET", "/api/v1/incidents?status=sleeping", null).status()).isEqualTo(400);
    }
}
