package dev.rollguard.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 25 item 2: every request gives its share of the body budget back, whatever became of it, a body that
 * trickles in is dropped instead of holding its share, and the health check reports the budget.
 */
class BodyBudgetReleaseTest {
    private final TestServer ts = new TestServer();

    @AfterEach
    void cleanUp() {
        ts.close();
    }

    private JsonNode budget() {
        return ts.get("/api/v1/health").path("bodyBudget");
    }

    private void awaitWholeBudgetFree() {
        await().atMost(TestServer.PATIENCE).until(() -> budget().path("freeBytes").asLong() == budget().path("totalBytes").asLong());
    }

    @Test
    void reportsForAnUnknownHostGiveTheirShareBack() {
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{}").status()).isEqualTo(200);
        assertThat(budget().path("totalBytes").asLong()).isPositive();
        for (int i = 0; i < 5; i++) {
            TestServer.Response r = ts.send("POST", "/api/v1/agents/wp/production/ghost-" + i + "/report", "{\"appliedVersion\": 1}");
            assertThat(r.status()).as(r.body()).isEqualTo(404);
        }
        awaitWholeBudgetFree();
    }

    @Test
    void aBodyIsTooSlowOnlyAfterTheGracePeriodAndBelowTheRate() {
        assertThat(SlowBodies.tooSlow(0, SlowBodies.GRACE_MILLIS)).isFalse();
        assertThat(SlowBodies.tooSlow(0, SlowBodies.GRACE_MILLIS + 1000)).isTrue();
        assertThat(SlowBodies.tooSlow(SlowBodies.MIN_RATE, SlowBodies.GRACE_MILLIS + 1000)).isFalse();
        assertThat(SlowBodies.tooSlow(10 * SlowBodies.MIN_RATE, SlowBodies.GRACE_MILLIS + 11_000)).isTrue();
    }

    @Test
    void aTricklingBodyIsDroppedAndItsShareGivenBack() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ts.server.port())) {
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/v1/services/wp/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestServer.ADMIN_TOKEN
                    + "\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder answer = new StringBuilder();
            AtomicBoolean answered = new AtomicBoolean();
            // one byte a second until the server answers (or gives up on the connection)
            await().atMost(TestServer.PATIENCE).until(() -> {
                try {
                    int c = in.read();
                    if (c < 0) return true;
                    answer.append((char) c);
                    answered.set(true);
                    byte[] rest = new byte[4096];
                    int n = in.read(rest);
                    if (n > 0) answer.append(new String(rest, 0, n, StandardCharsets.ISO_8859_1));
                    return true;
                } catch (SocketTimeoutException notYet) {
                    if (!answered.get()) {
                        out.write(' ');
                        out.flush();
                    }
                    return false;
                } catch (IOException reset) {
                    return true;
                }
            });
            // the connection is closed under the blocked read: no answer, or a 408 if one got through first
            assertThat(answer.toString()).satisfiesAnyOf(a -> assertThat(a).isEmpty(), a -> assertThat(a).startsWith("HTTP/1.1 408"));
        }
        awaitWholeBudgetFree();
    }
}
