package dev.rollguard.sim;

import dev.rollguard.web.PreparedText;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A frame prepared once reads back whole as a server's frame on the wire in each length class (the Netty channel writes
 * those bytes as they are), and the pollers apply every release from the Netty floor.
 */
class NettyFloorTest {
    @Test
    void aPreparedFrameOfEachLengthClassIsAWholeServerFrame() {
        for (int n : new int[]{0, 125, 126, 2146, 65535, 65536}) {
            String text = "é".repeat(n / 2) + "x".repeat(n % 2);
            PreparedText prepared = new PreparedText(text);
            for (int copy = 0; copy < 2; copy++) {
                ByteBuf wire = prepared.wire();
                byte[] bytes = new byte[wire.readableBytes()];
                // as a write does: this connection's view is consumed and released, the next one's is whole
                wire.readBytes(bytes);
                wire.release();
                WsFrames.Frame f = WsFrames.next(bytes, 0, bytes.length);
                assertThat(f).as("length " + n).isNotNull();
                assertThat(f.opcode()).isEqualTo(WsFrames.TEXT);
                assertThat(f.fin()).isTrue();
                assertThat(f.length()).isEqualTo(bytes.length);
                assertThat(bytes[1] & 0x80).as("a server's frame is not masked").isZero();
                assertThat(new String(bytes, f.payloadAt(), f.payloadLength(), StandardCharsets.UTF_8)).isEqualTo(text);
            }
        }
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void everyPollerAppliesEachReleaseFromTheFloor() throws Exception {
        try (NettyFloor floor = new NettyFloor()) {
            SocketFloorTest.everyPollerApplies(floor);
        }
    }
}
