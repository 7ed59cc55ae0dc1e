package dev.rollguard.sim;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The pollers' WebSocket frames: what they mask comes back whole, of every length class, and half a frame is no frame. */
class WsFramesTest {
    @Test
    void aMaskedFrameOfEachLengthClassReadsBackWhole() {
        SplittableRandom random = new SplittableRandom(1);
        for (int n : new int[]{0, 5, 125, 126, 2146, 65535, 65536}) {
            byte[] payload = new byte[n];
            for (int i = 0; i < n; i++) payload[i] = (byte) ('a' + i % 26);
            byte[] frame = WsFrames.client(WsFrames.TEXT, payload, random);
            WsFrames.Frame f = WsFrames.next(frame, 0, frame.length);
            assertThat(f).as("length " + n).isNotNull();
            assertThat(f.opcode()).isEqualTo(WsFrames.TEXT);
            assertThat(f.fin()).isTrue();
            assertThat(f.payload()).isEqualTo(payload);
            assertThat(f.length()).isEqualTo(frame.length);
            // cut anywhere before its end, it is not a frame yet
            assertThat(WsFrames.next(frame, 0, frame.length - 1)).isNull();
        }
    }

    @Test
    void framesFollowingEachOtherAreReadInTurn() {
        // a server's frames are not masked: a ping, then a text frame in two fragments
        byte[] buf = {(byte) 0x89, 0, 0x01, 2, 'a', 'b', (byte) 0x80, 1, 'c'};
        WsFrames.Frame ping = WsFrames.next(buf, 0, buf.length);
        assertThat(ping.opcode()).isEqualTo(WsFrames.PING);
        WsFrames.Frame first = WsFrames.next(buf, ping.length(), buf.length);
        assertThat(first.fin()).isFalse();
        assertThat(new String(first.payload(), StandardCharsets.UTF_8)).isEqualTo("ab");
        WsFrames.Frame last = WsFrames.next(buf, ping.length() + first.length(), buf.length);
        assertThat(last.opcode()).isEqualTo(WsFrames.CONTINUATION);
        assertThat(last.fin()).isTrue();
        assertThat(Arrays.copyOf(last.payload(), 1)).isEqualTo(new byte[]{'c'});
    }
}
