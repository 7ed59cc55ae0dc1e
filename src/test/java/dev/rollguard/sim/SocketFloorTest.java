package dev.rollguard.sim;

import dev.rollguard.web.PreparedText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The raw-socket floor speaks what the pollers and any WebSocket client expect: RFC 6455's accept for its key, a client's
 * masked frame read and answered, the release written to every channel; the pollers apply every release from it.
 */
class SocketFloorTest {
    private static final Duration PATIENCE = Duration.ofSeconds(120);

    @Test
    void theAcceptIsRfc6455s() {
        // RFC 6455, 1.3's example
        assertThat(SocketFloor.accept("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void aServerFrameOfEachLengthClassReadsBackWhole() {
        for (int n : new int[]{0, 125, 126, 2146, 65535, 65536}) {
            String text = "x".repeat(n);
            ByteBuffer b = PreparedText.textFrame(text);
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            WsFrames.Frame f = WsFrames.next(bytes, 0, bytes.length);
            assertThat(f).as("length " + n).isNotNull();
            assertThat(f.opcode()).isEqualTo(WsFrames.TEXT);
            assertThat(f.fin()).isTrue();
            assertThat(f.length()).isEqualTo(bytes.length);
            assertThat(new String(bytes, f.payloadAt(), f.payloadLength(), StandardCharsets.UTF_8)).isEqualTo(text);
        }
    }

    @Test
    void theKnownVersionIsReadFromTheTarget() {
        assertThat(SocketFloor.known("/api/v1/agents/wp/prod/h/channel?known=7&heartbeatSeconds=5")).isEqualTo("7");
        assertThat(SocketFloor.known("/api/v1/agents/wp/prod/h/channel?heartbeatSeconds=5&known=none")).isEqualTo("none");
        assertThat(SocketFloor.known("/api/v1/agents/wp/prod/h/channel")).isNull();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aMaskedReportIsUnmaskedAndAnsweredAndTheReleaseArrives() throws Exception {
        try (SocketFloor floor = new SocketFloor(2); Socket s = connect(floor)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            String key = "dGhlIHNhbXBsZSBub25jZQ==";
            out.write(("GET /api/v1/agents/wp/prod/h/channel?known=none HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 101 ").contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            await().atMost(PATIENCE).until(() -> floor.connected() == 1);

            // a report, masked as a client must: answered with version 0's answer (no release yet), in one frame
            byte[] report = AgentMessages.report(3).getBytes(StandardCharsets.UTF_8);
            byte[] frame = new byte[WsFrames.head(report.length) + report.length];
            WsFrames.client(WsFrames.TEXT, report, 0, report.length, 0x5a17c0de, frame, 0);
            // sent in two pieces: the floor waits for the whole frame
            out.write(frame, 0, 5);
            out.flush();
            out.write(frame, 5, frame.length - 5);
            assertThat(readText(in)).isEqualTo(ChannelFloor.reported(0));

            floor.prepare(4, "{\"desired\":{\"desiredVersion\":4}}", ChannelFloor.reported(4));
            floor.release();
            assertThat(readText(in)).isEqualTo("{\"desired\":{\"desiredVersion\":4}}");
            out.write(frame);
            assertThat(readText(in)).isEqualTo(ChannelFloor.reported(4));
        }
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void everyPollerAppliesEachReleaseFromTheFloor() throws Exception {
        try (SocketFloor floor = new SocketFloor(2)) {
            everyPollerApplies(floor);
        }
    }

    /** 300 pollers on {@code floor}: each applies both of two releases from it, and no channel closed. */
    static void everyPollerApplies(ChannelFloor.Server floor) throws Exception {
        int agents = 300;
        try (PollerSwarm swarm = new PollerSwarm(List.of(floor.url()), "wp", "production", agents, "floor")) {
            swarm.registerAll();
            await().atMost(PATIENCE).until(() -> floor.connected() == agents);
            for (int v = 1; v <= 2; v++) {
                swarm.expect(v, System.nanoTime());
                floor.prepare(v, "{\"desired\":{\"desiredVersion\":" + v + ",\"bundle\":{\"version\":" + v + "}}}", ChannelFloor.reported(v));
                floor.release();
                assertThat(swarm.await(PATIENCE)).hasSize(agents);
            }
            assertThat(floor.closed()).isEmpty();
        }
    }

    private static Socket connect(SocketFloor floor) throws Exception {
        URI u = URI.create(floor.url());
        Socket s = new Socket(u.getHost(), u.getPort());
        s.setSoTimeout((int) PATIENCE.toMillis());
        return s;
    }

    private static String readHead(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            assertThat(c).as("the connection closed in the head").isNotNegative();
            b.append((char) c);
        }
        return b.toString();
    }

    /** One server frame (unmasked, FIN text), its payload as text. */
    private static String readText(InputStream in) throws Exception {
        byte[] buf = new byte[0];
        WsFrames.Frame f = null;
        while (f == null) {
            int c = in.read();
            assertThat(c).as("the connection closed in a frame").isNotNegative();
            buf = Arrays.copyOf(buf, buf.length + 1);
            buf[buf.length - 1] = (byte) c;
            f = WsFrames.next(buf, 0, buf.length);
        }
        assertThat(buf[1] & 0x80).as("a server's frame is not masked").isZero();
        assertThat(f.opcode()).isEqualTo(WsFrames.TEXT);
        assertThat(f.length()).isEqualTo(buf.length);
        return new String(buf, f.payloadAt(), f.payloadLength(), StandardCharsets.UTF_8);
    }

}
