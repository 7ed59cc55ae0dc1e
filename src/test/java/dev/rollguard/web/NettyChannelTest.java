package dev.rollguard.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.protocol.AgentProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 28: the agents' channel on a port of its own (Netty): the same frames as on the API's port, a release and a
 * report's answer on it; its upgrade refused as the API refuses an agent's request (the same statuses and error bodies),
 * its limits (a report over 1 MiB closes it with 1009, no permessage-deflate), and the server telling agents where it is.
 */
class NettyChannelTest {
    private static final String SPEC = "{\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}}";
    private TestServer ts;

    @AfterEach
    void stop() {
        if (ts != null) ts.close();
    }

    private String serverWith(String... hosts) {
        ts = new TestServer();
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        String token = ts.server.auth().enrol("wp", "testing", null, null, 10, "test").token();
        for (String h : hosts) {
            assertThat(ts.send("POST", AgentProtocol.REGISTER_PATH, Json.write(new AgentProtocol.Register("wp", "testing", h, null)), token).status())
                    .isEqualTo(200);
        }
        return token;
    }

    private WebSocket open(String host, String token, ChannelFrames frames) {
        URI uri = URI.create(ts.channelUrl() + AgentProtocol.channelPath("wp", "testing", host, AgentProtocol.NONE, 0));
        return HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + token).buildAsync(uri, frames).join();
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aReleaseArrivesOnTheChannelsOwnPortAndItsReportIsCommitted() throws Exception {
        String token = serverWith("n-1");
        ChannelFrames frames = new ChannelFrames();
        WebSocket ws = open("n-1", token, frames);
        int v = ts.push(Map.of("a.conf", "one\n"), "m", null);
        String id = ts.release("testing", v, null).path("id").asText();
        AgentProtocol.Desired d = frames.next().desired();
        assertThat(d.desiredVersion()).isEqualTo(v);
        assertThat(d.carriesBundle()).isTrue();

        // a bad report is refused with the POST's error, and the channel stays open for the next
        ws.sendText("{\"appliedVersion\": ", true).join();
        AgentProtocol.ChannelError error = frames.next().error();
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.code()).isEqualTo("malformed_json");

        ws.sendText("{\"appliedVersion\": " + v + ", \"samples\": []}", true).join();
        assertThat(frames.next().reported().desiredVersion()).isEqualTo(v);
        assertThat(ts.appliedOf("n-1")).as("committed before it was answered").isEqualTo(String.valueOf(v));
        assertThat(ts.awaitTerminal(id).path("state").asText()).isEqualTo("COMPLETE");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        assertThat(frames.closed.get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void theUpgradeIsRefusedAsTheApiRefusesAnAgent() throws Exception {
        String token = serverWith("n-1");
        assertThat(ts.send("PUT", "/api/v1/services/other", SPEC).status()).isEqualTo(200);
        String other = ts.server.auth().enrol("other", "testing", null, null, 10, "test").token();
        String path = AgentProtocol.channelPath("wp", "testing", "n-1", AgentProtocol.NONE, 0);

        assertThat(upgrade(path, null).status()).isEqualTo(401);
        Answer wrong = upgrade(path, "rg_not-a-real-token-000000000000");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.error().path("code").asText()).isEqualTo("invalid_token");
        // another service's enrolment may not speak for this host
        Answer foreign = upgrade(path, other);
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.error().path("code").asText()).isEqualTo("forbidden");
        // an unknown host: the long-poll's answer, so the agent registers again
        Answer unknown = upgrade(AgentProtocol.channelPath("wp", "testing", "nobody", AgentProtocol.NONE, 0), token);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error().path("code").asText()).isEqualTo("unknown_host");
        assertThat(unknown.head()).contains("application/json");
        // anything but the channel is not here
        assertThat(upgrade("/api/v1/services", token).status()).isEqualTo(404);
        // a plain GET (no upgrade) is told to upgrade, after the same gate
        HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ts.channelUrl().replace("ws://", "http://")
                + path)).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(426);
        assertThat(plain.headers().firstValue("Upgrade")).contains("websocket");
        // a head larger than the limit is refused before anything is looked up
        assertThat(upgrade(path + "&pad=" + "x".repeat(NettyChannel.MAX_HEAD_BYTES), token).status()).isIn(400, 431);
        // the token never appears in an answer
        assertThat(wrong.head() + wrong.body()).doesNotContain("rg_not-a-real-token");
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aReportOverOneMebibyteClosesTheChannelWith1009() throws Exception {
        String token = serverWith("n-1");
        ChannelFrames frames = new ChannelFrames();
        WebSocket ws = open("n-1", token, frames);
        String big = "{\"applyError\": \"" + "x".repeat((int) AgentChannel.MAX_REPORT_BYTES) + "\"}";
        ws.sendText(big, true);
        assertThat(frames.closed.get(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(AgentChannel.MESSAGE_TOO_BIG);
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void permessageDeflateIsNotNegotiatedWhenOffered() throws Exception {
        String token = serverWith("n-1");
        Answer a = upgrade(AgentProtocol.channelPath("wp", "testing", "n-1", AgentProtocol.NONE, 0), token,
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
        // upgraded, with no extension: each frame goes out as it was prepared, uncompressed
        assertThat(a.status()).isEqualTo(101);
        assertThat(a.head()).doesNotContainIgnoringCase("Sec-WebSocket-Extensions");
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void agentsAreToldWhereTheChannelsPortIs() throws Exception {
        String token = serverWith();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ts.url() + AgentProtocol.REGISTER_PATH))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(new AgentProtocol.Register("wp", "testing", "n-2", null)))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(Json.read(r.body(), AgentProtocol.Registered.class).channelUrl()).isEqualTo(ts.channelUrl());
        // and on a long-poll's answer, for an agent that moved here from another server
        HttpResponse<String> poll = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ts.url()
                        + AgentProtocol.desiredPath("wp", "testing", "n-2", AgentProtocol.NONE, true, 0)))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(poll.headers().firstValue(AgentProtocol.CHANNEL_HEADER)).contains(ts.channelUrl());
    }

    @Test
    void theAdvertisedAddressIsTheOperatorsOrTheOneTheAgentCameBy() {
        assertThat(ChannelAddress.advertised(null, 8081, "rg.example:8080")).isEqualTo("ws://rg.example:8081");
        assertThat(ChannelAddress.advertised(null, 8081, "rg.example")).isEqualTo("ws://rg.example:8081");
        assertThat(ChannelAddress.advertised(null, 8081, "[::1]:8080")).isEqualTo("ws://[::1]:8081");
        assertThat(ChannelAddress.advertised("wss://push.example:9443", 8081, "rg.example:8080")).isEqualTo("wss://push.example:9443");
        // no channel port: nothing to tell, whatever the operator wrote
        assertThat(ChannelAddress.advertised("wss://push.example:9443", -1, "rg.example:8080")).isNull();
        assertThat(ChannelAddress.advertised(null, 8081, null)).isNull();
    }

    /** An upgrade's answer read off the socket: the status, the head, the body (the error's JSON for a refusal). */
    private record Answer(int status, String head, String body) {
        JsonNode error() {
            return Json.read(body, JsonNode.class).path("error");
        }
    }

    private Answer upgrade(String path, String token) throws Exception {
        return upgrade(path, token, "");
    }

    private Answer upgrade(String path, String token, String extra) throws Exception {
        URI u = URI.create(ts.channelUrl());
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout((int) TestServer.PATIENCE.toMillis());
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + u.getAuthority() + "\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + extra + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                assertThat(c).as("the connection closed in the head").isNotNegative();
                head.append((char) c);
            }
            int status = Integer.parseInt(head.substring(9, 12));
            if (status == 101) return new Answer(status, head.toString(), "");
            // a refusal closes the connection after its body
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            in.transferTo(body);
            return new Answer(status, head.toString(), body.toString(StandardCharsets.UTF_8));
        }
    }
}
