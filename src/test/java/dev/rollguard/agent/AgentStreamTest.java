package dev.rollguard.agent;

import dev.rollguard.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent's stream and channel beside the long-poll: all three kinds take one release; a stream or channel that drops
 * or goes silent falls back and converges, then is followed again.
 */
class AgentStreamTest {
    private static final String SPEC = "{\"rollout\": {\"promotionBakeSeconds\": 0, \"waves\": [{\"percent\": 100, \"bakeSeconds\": 0}]}}";
    private final List<Agent> agents = new ArrayList<>();
    private TestServer ts;

    @AfterEach
    void stop() {
        agents.forEach(Agent::close);
        if (ts != null) ts.close();
    }

    /** {@code how}: "long-poll", "stream" (server-sent events, reports by POST) or "channel" (the WebSocket, the default). */
    private Agent agent(String host, Path dir, String how) {
        return agent(ts.url(), host, dir, how, Duration.ofSeconds(5));
    }

    /** {@code wait}: the long-poll's wait, and the stream's (or channel's) heartbeat. */
    private Agent agent(String server, String host, Path dir, String how, Duration wait) {
        Agent a = new Agent(new AgentConfig(List.of(server), "wp", "testing", host, dir.resolve(host), null, null, 3,
                Duration.ofMillis(200), Duration.ofSeconds(10), wait, TestServer.ADMIN_TOKEN).withStream(!how.equals("long-poll"))
                .withChannel(how.equals("channel")),
                new HealthWindow(Instant.now()), Clock.systemUTC()).start();
        agents.add(a);
        return a;
    }

    private int pushAndRelease(String content) {
        int v = ts.push(Map.of("a.conf", content), "m", null);
        String id = ts.release("testing", v, null).path("id").asText();
        assertThat(ts.awaitTerminal(id).path("state").asText()).isEqualTo("COMPLETE");
        return v;
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void longPollStreamAndChannelAgentsTakeOneRelease() throws Exception {
        ts = new TestServer();
        Path dir = Files.createTempDirectory("rollguard-agent-stream-");
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        Agent s1 = agent("s1", dir, "stream");
        Agent s2 = agent("s2", dir, "channel");
        Agent p1 = agent("p1", dir, "long-poll");
        Agent p2 = agent("p2", dir, "long-poll");
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 4);
        for (String content : List.of("one\n", "two\n")) {
            int v = pushAndRelease(content);
            await().atMost(TestServer.PATIENCE).until(() -> List.of(s1, s2, p1, p2).stream().allMatch(a -> Integer.valueOf(v).equals(a.appliedVersion())));
            assertThat(Files.readString(dir.resolve("s1").resolve("current").resolve("a.conf"))).isEqualTo(content);
        }
        assertThat(s1.heardBy()).isEqualTo("stream");
        assertThat(s2.heardBy()).isEqualTo("channel");
        assertThat(List.of(p1.heardBy(), p2.heardBy())).containsOnly("long-poll");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stream", "channel"})
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aStreamThatDropsFallsBackAndConverges(String how) throws Exception {
        Path data = TestServer.tempDir();
        int port = TestServer.freePort();
        ts = new TestServer(data, port);
        Path dir = Files.createTempDirectory("rollguard-agent-stream-");
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        Agent s = agent("s1", dir, how);
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 1);
        int v1 = pushAndRelease("one\n");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v1).equals(s.appliedVersion()));
        assertThat(s.heardBy()).isEqualTo(how);

        // the server goes away under the open stream, and a new one comes up on the same data and port
        ts.stopKeepingData();
        ts = new TestServer(data, port);
        int v2 = pushAndRelease("two\n");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v2).equals(s.appliedVersion()));
        assertThat(Files.readString(dir.resolve("s1").resolve("current").resolve("a.conf"))).isEqualTo("two\n");
        // after the fallback's long-poll, the agent follows the stream again
        int v3 = pushAndRelease("three\n");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v3).equals(s.appliedVersion()));
        await().atMost(TestServer.PATIENCE).until(() -> how.equals(s.heardBy()));
    }

    /**
     * A stream that goes silent without a reset (a NAT or proxy that forgot the connection: the proxy here swallows every
     * byte) is dropped by the agent after three heartbeats without a line; the agent long-polls on a new connection, takes
     * the release it missed, and follows the stream again.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stream", "channel"})
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aStreamThatGoesSilentIsDroppedAndTheAgentConverges(String how) throws Exception {
        int port = TestServer.freePort();
        ts = new TestServer(TestServer.tempDir(), port);
        Path dir = Files.createTempDirectory("rollguard-agent-stream-");
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        try (SilencingProxy proxy = new SilencingProxy(port)) {
            // a heartbeat every 2 s: silent for 6 s, the stream is dead
            Agent s = agent(proxy.url(), "s1", dir, how, Duration.ofSeconds(2));
            await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 1);
            int v1 = pushAndRelease("one\n");
            await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v1).equals(s.appliedVersion()) && how.equals(s.heardBy()));

            assertThat(proxy.silenceOpenConnections()).isPositive();
            // the release is sent down the silenced stream, which never delivers it: only a new connection brings it
            int v2 = pushAndRelease("two\n");
            await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v2).equals(s.appliedVersion()));
            assertThat(Files.readString(dir.resolve("s1").resolve("current").resolve("a.conf"))).isEqualTo("two\n");
            int v3 = pushAndRelease("three\n");
            await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v3).equals(s.appliedVersion()) && how.equals(s.heardBy()));
        }
    }
}
