package dev.rollguard.sim;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pollers' WebSocket frames: what they mask comes back whole, of every length class, read in place; half a frame is no
 * frame; the eight-bytes-at-a-time mask is the byte-wise mask of RFC 6455 at every length and offset.
 */
class WsFramesTest {
    @Test
    void aMaskedFrameOfEachLengthClassReadsBackWhole() {
        SplittableRandom random = new SplittableRandom(1);
        for (int n : new int[]{0, 5, 125, 126, 2146, 65535, 65536}) {
            byte[] payload = new byte[n];
            for (int i = 0; i < n; i++) payload[i] = (byte) ('a' + i % 26);
            byte[] frame = new byte[WsFrames.head(n) + n];
            assertThat(WsFrames.client(WsFrames.TEXT, payload, 0, n, random.nextInt(), frame, 0)).as("length " + n).isEqualTo(frame.length);
            // cut anywhere before its end, it is not a frame yet (and nothing of it is unmasked)
            assertThat(WsFrames.next(frame, 0, frame.length - 1)).isNull();
            WsFrames.Frame f = WsFrames.next(frame, 0, frame.length);
            assertThat(f).as("length " + n).isNotNull();
            assertThat(f.opcode()).isEqualTo(WsFrames.TEXT);
            assertThat(f.fin()).isTrue();
            assertThat(Arrays.copyOfRange(frame, f.payloadAt(), f.payloadAt() + f.payloadLength())).isEqualTo(payload);
            assertThat(f.length()).isEqualTo(frame.length);
        }
    }

    @Test
    void theWideMaskIsTheRfcsByteWiseMask() {
        SplittableRandom random = new SplittableRandom(7);
        for (int n = 0; n < 40; n++) {
            for (int at = 0; at < 9; at++) {
                byte[] buf = new byte[at + n + 3];
                for (int i = 0; i < buf.length; i++) buf[i] = (byte) random.nextInt(256);
                byte[] key = {(byte) random.nextInt(256), (byte) random.nextInt(256), (byte) random.nextInt(256), (byte) random.nextInt(256)};
                byte[] expected = buf.clone();
                for (int i = 0; i < n; i++) expected[at + i] ^= key[i % 4];
                WsFrames.mask(buf, at, n, key, 0);
                // the bytes around the range are untouched
                assertThat(buf).as("n " + n + " at " + at).isEqualTo(expected);
            }
        }
    }

    @Test
    void aFrameIsWrittenAtAnOffsetOfTheCallersBuffer() {
        byte[] payload = "{\"appliedVersion\":7}".getBytes(StandardCharsets.UTF_8);
        byte[] buf = new byte[100];
        int head = WsFrames.head(payload.length);
        assertThat(WsFrames.client(WsFrames.TEXT, payload, 0, payload.length, 0x01020304, buf, 10)).isEqualTo(head + payload.length);
        assertThat(Arrays.copyOfRange(buf, 10 + head - 4, 10 + head)).isEqualTo(new byte[]{1, 2, 3, 4});
        WsFrames.Frame f = WsFrames.next(buf, 10, 10 + head + payload.length);
        assertThat(f.length()).isEqualTo(head + payload.length);
        assertThat(new String(buf, f.payloadAt(), f.payloadLength(), StandardCharsets.UTF_8)).isEqualTo("{\"appliedVersion\":7}");
    }

    @Test
    void framesFollowingEachOtherAreReadInTurn() {
        // a server's frames are not masked: a ping, then a text frame in two fragments
        byte[] buf = {(byte) 0x89, 0, 0x01, 2, 'a', 'b', (byte) 0x80, 1, 'c'};
        WsFrames.Frame ping = WsFrames.next(buf, 0, buf.length);
        assertThat(ping.opcode()).isEqualTo(WsFrames.PING);
        assertThat(ping.payloadLength()).isZero();
        WsFrames.Frame first = WsFrames.next(buf, ping.length(), buf.length);
        assertThat(first.fin()).isFalse();
        assertThat(new String(buf, first.payloadAt(), first.payloadLength(), StandardCharsets.UTF_8)).isEqualTo("ab");
        WsFrames.Frame last = WsFrames.next(buf, ping.length() + first.length(), buf.length);
        assertThat(last.opcode()).isEqualTo(WsFrames.CONTINUATION);
        assertThat(last.fin()).isTrue();
        assertThat(buf[last.payloadAt()]).isEqualTo((byte) 'c');
        assertThat(ping.length() + first.length() + last.length()).isEqualTo(buf.length);
    }
}
