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
import java.util.HashMap;
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

    /**
     * Issue 28: one release to a mixed fleet: agents on the channel's own port (Netty) and on the API's port (Jetty: this
     * one reaches the server through a proxy of the API's port only, so the advertised port is not there), a stream agent
     * and long-poll agents; every one applies it and its report is committed.
     */
    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void longPollStreamAndChannelAgentsTakeOneRelease() throws Exception {
        int port = TestServer.freePort();
        ts = new TestServer(TestServer.tempDir(), port);
        Path dir = Files.createTempDirectory("rollguard-agent-stream-");
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        try (SilencingProxy apiPortOnly = new SilencingProxy(port)) {
            Agent s1 = agent("s1", dir, "stream");
            Agent s2 = agent("s2", dir, "channel");
            Agent s3 = agent(apiPortOnly.url(), "s3", dir, "channel", Duration.ofSeconds(5));
            Agent p1 = agent("p1", dir, "long-poll");
            Agent p2 = agent("p2", dir, "long-poll");
            List<Agent> all = List.of(s1, s2, s3, p1, p2);
            await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 5);
            for (String content : List.of("one\n", "two\n")) {
                int v = pushAndRelease(content);
                await().atMost(TestServer.PATIENCE).until(() -> all.stream().allMatch(a -> Integer.valueOf(v).equals(a.appliedVersion())));
                assertThat(Files.readString(dir.resolve("s1").resolve("current").resolve("a.conf"))).isEqualTo(content);
                // each agent's report committed: the server holds what every host runs
                await().atMost(TestServer.PATIENCE).until(() -> appliedOnServer().values().stream().allMatch(String.valueOf(v)::equals));
            }
            assertThat(s1.heardBy()).isEqualTo("stream");
            assertThat(List.of(s2.heardBy(), s3.heardBy())).containsOnly("channel");
            assertThat(s2.channelVia()).as("the channel's own port").isEqualTo(ts.channelUrl());
            assertThat(s3.channelVia()).as("behind a proxy of the API's port: the channel on that port").isEqualTo(apiPortOnly.url());
            assertThat(List.of(p1.heardBy(), p2.heardBy())).containsOnly("long-poll");
        }
    }

    /**
     * The channel's own port goes away (the server restarts without it): the agent's channel there drops, the port is
     * refused, and the agent opens its channel on the API's port instead, converging on each release.
     */
    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void aChannelWhosePortClosesFallsBackToTheApiPortAndConverges() throws Exception {
        Path data = TestServer.tempDir();
        int port = TestServer.freePort();
        ts = new TestServer(data, port);
        Path dir = Files.createTempDirectory("rollguard-agent-stream-");
        assertThat(ts.send("PUT", "/api/v1/services/wp", SPEC).status()).isEqualTo(200);
        Agent s = agent("s1", dir, "channel");
        await().atMost(TestServer.PATIENCE).until(() -> ts.get("/api/v1/services/wp/environments/testing/hosts").size() == 1);
        int v1 = pushAndRelease("one\n");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v1).equals(s.appliedVersion()));
        assertThat(s.channelVia()).isEqualTo(ts.channelUrl());

        ts.stopKeepingData();
        ts = new TestServer(data, port, settings -> settings.withChannelPort(-1));
        int v2 = pushAndRelease("two\n");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v2).equals(s.appliedVersion()));
        int v3 = pushAndRelease("three\n");
        await().atMost(TestServer.PATIENCE).until(() -> Integer.valueOf(v3).equals(s.appliedVersion()) && "channel".equals(s.heardBy()));
        assertThat(s.channelVia()).as("the channel on the API's port").isEqualTo(ts.url());
        assertThat(appliedOnServer()).containsEntry("s1", String.valueOf(v3));
    }

    /** Each host's applied version as the server recorded it from the reports. */
    private Map<String, String> appliedOnServer() {
        Map<String, String> applied = new HashMap<>();
        for (var h : ts.get("/api/v1/services/wp/environments/testing/hosts")) applied.put(h.path("host").asText(), h.path("appliedVersion").asText());
        return applied;
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
