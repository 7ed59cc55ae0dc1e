package dev.rollguard.web;

import com.zaxxer.hikari.HikariDataSource;
import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.protocol.AgentProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The agent's channel (a WebSocket): a release arrives on it, the report goes back on it and is recorded once committed,
 * the same as the POST of an older agent in the same release; the upgrade passes the same gate as any agent request.
 */
class AgentChannelTest {
    private static final String SPEC = "{\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}}";
    private TestServer ts;

    @AfterEach
    void stop() {
        if (ts != null) ts.close();
    }

    private WebSocket open(String host, String known, String token, ChannelFrames frames) {
        URI uri = URI.create(ts.url().replace("http://", "ws://") + AgentProtocol.channelPath("wp", "testing", host, known, 0));
        return HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + token).buildAsync(uri, frames).join();
    }

    /** A server with the service, and an enrolment token for its hosts, registered. */
    private String serverWith(String... hosts) {
        return serverWith(new TestServer(), hosts);
    }

    private String serverWith(TestServer server, String... hosts) {
        ts = server;
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        String token = enrol();
        for (String h : hosts) register(h, token);
        return token;
    }

    private String enrol() {
        return ts.server.auth().enrol("wp", "testing", null, null, 10, "test").token();
    }

    private void register(String host, String token) {
        assertThat(ts.send("POST", AgentProtocol.REGISTER_PATH, Json.write(new AgentProtocol.Register("wp", "testing", host, null)), token).status())
                .isEqualTo(200);
    }

    private String report(int applied) {
        return "{\"appliedVersion\": " + applied + ", \"samples\": []}";
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aReleaseArrivesOnTheChannelAndItsReportIsRecordedBesideAnOldAgentsPost() throws Exception {
        String token = serverWith("ws-1", "post-1");
        ChannelFrames frames = new ChannelFrames();
        WebSocket ws = open("ws-1", AgentProtocol.NONE, token, frames);

        int v = ts.push(Map.of("a.conf", "one\n"), "m", null);
        String id = ts.release("testing", v, null).path("id").asText();
        AgentProtocol.Desired d = frames.next().desired();
        assertThat(d.desiredVersion()).isEqualTo(v);
        assertThat(d.carriesBundle()).isTrue();
        assertThat(d.bundle().entries()).extracting(e -> e.path()).contains("a.conf");

        ws.sendText(report(v), true).join();
        AgentProtocol.ChannelMessage answer = frames.next();
        assertThat(answer.reported()).as("the report's answer, after its commit").isNotNull();
        assertThat(answer.reported().desiredVersion()).isEqualTo(v);
        // committed before it was answered: the server says so at once
        assertThat(ts.get("/api/v1/services/wp/environments/testing/hosts").toString()).contains("ws-1");
        assertThat(ts.appliedOf("ws-1")).isEqualTo(String.valueOf(v));

        // an older agent reports by POST in the same release: both count, and the rollout completes
        assertThat(ts.send("POST", AgentProtocol.reportPath("wp", "testing", "post-1"), report(v), token).status()).isEqualTo(200);
        assertThat(ts.awaitTerminal(id).path("state").asText()).isEqualTo("COMPLETE");
        assertThat(ts.appliedOf("post-1")).isEqualTo(String.valueOf(v));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aBadReportIsRefusedOnTheChannelWhichStaysOpen() throws Exception {
        String token = serverWith("ws-1");
        int v = ts.push(Map.of("a.conf", "one\n"), "m", null);
        ts.release("testing", v, null);
        ChannelFrames frames = new ChannelFrames();
        WebSocket ws = open("ws-1", AgentProtocol.NONE, token, frames);
        assertThat(frames.next().desired().desiredVersion()).isEqualTo(v);

        ws.sendText("{\"appliedVersion\": ", true).join();
        AgentProtocol.ChannelError error = frames.next().error();
        assertThat(error).isNotNull();
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.code()).isEqualTo("malformed_json");

        ws.sendText(report(v), true).join();
        assertThat(frames.next().reported().desiredVersion()).isEqualTo(v);
        await().atMost(TestServer.PATIENCE).until(() -> String.valueOf(v).equals(ts.appliedOf("ws-1")));
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void theUpgradePassesTheSameGateAsAnAgentsRequest() {
        String token = serverWith("ws-1");
        assertThat(ts.send("PUT", "/api/v1/services/other", SPEC).status()).isEqualTo(200);
        assertThat(refusal("ws-1", "rg_not-a-real-token-000000000000")).isEqualTo(401);
        // an unknown host: the long-poll's answer, so the agent registers again
        assertThat(refusal("nobody", token)).isEqualTo(404);
        // another service's enrolment may not speak for this host
        String other = ts.server.auth().enrol("other", "testing", null, null, 10, "test").token();
        assertThat(refusal("ws-1", other)).isEqualTo(403);
        // a plain GET (no upgrade) is told to upgrade, after the same gate
        assertThat(ts.send("GET", AgentProtocol.channelPath("wp", "testing", "ws-1", "none", 0), null, token).status()).isEqualTo(426);
        assertThat(ts.send("GET", AgentProtocol.channelPath("wp", "testing", "ws-1", "none", 0), null, null).status()).isEqualTo(401);
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void permessageDeflateIsNotNegotiatedWhenOffered() throws Exception {
        String token = serverWith("ws-1");
        URI u = URI.create(ts.url());
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            s.setSoTimeout((int) TestServer.PATIENCE.toMillis());
            s.getOutputStream().write(("GET " + AgentProtocol.channelPath("wp", "testing", "ws-1", AgentProtocol.NONE, 0) + " HTTP/1.1\r\n"
                    + "Host: " + u.getAuthority() + "\r\nAuthorization: Bearer " + token + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            StringBuilder head = new StringBuilder();
            InputStream in = s.getInputStream();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                assertThat(c).as("the connection closed in the head").isNotNegative();
                head.append((char) c);
            }
            // upgraded, with no extension: each frame goes out as it was prepared, uncompressed
            assertThat(head.toString()).startsWith("HTTP/1.1 101 ").doesNotContainIgnoringCase("Sec-WebSocket-Extensions");
        }
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aGuesserOnTheUpgradeIsLimitedAsOnARequest() {
        serverWith("ws-1");
        // upgrades with a made-up token, many at once (its budget, 200, refills at 20 a second: sent one by one on a busy
        // machine, they might never outrun it): once spent, it is refused before it is looked at, upgrade or request
        List<CompletableFuture<Integer>> tries = new ArrayList<>();
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create(ts.url().replace("http://", "ws://") + AgentProtocol.channelPath("wp", "testing", "ws-1", AgentProtocol.NONE, 0));
        for (int i = 0; i < 400; i++) {
            tries.add(client.newWebSocketBuilder().header("Authorization", "Bearer rg_a-guessed-token").buildAsync(uri, new ChannelFrames())
                    .handle((ws, t) -> t != null && t.getCause() instanceof WebSocketHandshakeException h ? h.getResponse().statusCode() : -1));
        }
        List<Integer> statuses = tries.stream().map(CompletableFuture::join).toList();
        assertThat(statuses).containsOnly(401, 429);
        boolean refused = statuses.contains(429);
        for (int i = 0; i < 10 && !refused; i++) refused = refusal("ws-1", "rg_a-guessed-token") == 429;
        assertThat(refused).as("a guesser on the upgrade is rate-limited").isTrue();
    }

    private int refusal(String host, String token) {
        Throwable t = catchThrowable(() -> open(host, AgentProtocol.NONE, token, new ChannelFrames()));
        assertThat(t).isInstanceOf(CompletionException.class).hasCauseInstanceOf(WebSocketHandshakeException.class);
        return ((WebSocketHandshakeException) t.getCause()).getResponse().statusCode();
    }

    /**
     * Issue 28: a replica whose database pool is exhausted (10,000 upgrades and reports at once) answers 503 with
     * Retry-After, on a request and on a channel's upgrade alike, instead of 500: nothing was done, and the agent waits as
     * told ({@code Unavailable}) before it tries again. Once connections are free, the same requests succeed.
     */
    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aReplicaOutOfDatabaseConnectionsAnswers503WithRetryAfter() throws Exception {
        // a short wait for a connection, set before the pool starts (Hikari re-reads a changed one only every 30 s)
        String token = serverWith(new TestServer(s -> s.withDatabaseWait(Duration.ofMillis(250))), "ws-1");
        HikariDataSource pool = (HikariDataSource) ts.server.database().dataSource();
        List<Connection> held = new ArrayList<>();
        try {
            for (int i = 0; i < pool.getMaximumPoolSize(); i++) held.add(pool.getConnection());
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ts.url() + AgentProtocol.REGISTER_PATH))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.write(new AgentProtocol.Register("wp", "testing", "new-1", null)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).contains("database_busy");
            assertThat(r.headers().firstValue("Retry-After")).contains(String.valueOf(ApiServer.BUSY_RETRY_AFTER_SECONDS));

            // the channel's upgrade for a host this replica has not read yet: refused the same way
            URI uri = URI.create(ts.url().replace("http://", "ws://") + AgentProtocol.channelPath("wp", "testing", "ws-2", AgentProtocol.NONE, 0));
            Throwable refused = catchThrowable(() -> HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(uri, new ChannelFrames()).join());
            assertThat(refused).isInstanceOf(CompletionException.class).cause().isInstanceOf(WebSocketHandshakeException.class);
            HttpResponse<?> answer = ((WebSocketHandshakeException) refused.getCause()).getResponse();
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.headers().firstValue("Retry-After")).contains(String.valueOf(ApiServer.BUSY_RETRY_AFTER_SECONDS));
        } finally {
            for (Connection c : held) c.close();
        }
        register("new-1", token);
        register("ws-2", token);
        ChannelFrames frames = new ChannelFrames();
        open("ws-2", AgentProtocol.NONE, token, frames).sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    }
}
