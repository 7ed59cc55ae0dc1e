package dev.rollguard.sim;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.SplittableRandom;

/**
 * The few WebSocket frames (RFC 6455) the pollers speak on an agent's channel: the upgrade request, a client's masked
 * text and pong frames, and the server's unmasked frames read off the connection as they arrive. Pure and incremental:
 * {@link #next} answers null until a whole frame is in the buffer. Frames are written into and read from the caller's
 * buffers in place: a benchmark of 10,000 agents pays for a copy of every release otherwise.
 */
final class WsFrames {
    static final int CONTINUATION = 0;
    static final int TEXT = 1;
    static final int CLOSE = 8;
    static final int PING = 9;
    static final int PONG = 10;

    /** A client frame's head at most: two bytes, eight of length, four of mask. */
    static final int MAX_HEAD = 14;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private WsFrames() {}

    /**
     * One frame from the server: its opcode, whether it ends its message, where its payload lies in the buffer it was read
     * from ({@code payloadAt}, {@code payloadLength}), and the bytes the whole frame took.
     */
    record Frame(int opcode, boolean fin, int payloadAt, int payloadLength, int length) {}

    /** The upgrade's request headers (after the request line and the caller's own headers), with a fresh key. */
    static String upgradeHeaders(SplittableRandom random) {
        byte[] key = new byte[16];
        for (int i = 0; i < key.length; i++) key[i] = (byte) random.nextInt(256);
        return "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\n\r\n";
    }

    /**
     * Writes a client's frame at {@code into[at]}: FIN, {@code opcode}, the payload {@code payload[from, from + n)} masked with
     * {@code mask} (a client must mask); answers the frame's length ({@link #head} + {@code n}).
     */
    static int client(int opcode, byte[] payload, int from, int n, int mask, byte[] into, int at) {
        int head = head(n);
        writeHead(opcode, n, mask, into, at);
        System.arraycopy(payload, from, into, at + head, n);
        mask(into, at + head, n, into, at + head - 4);
        return head + n;
    }

    /** The bytes of the head of a client frame with {@code n} bytes of payload (its mask included). */
    static int head(int n) {
        return 2 + (n < 126 ? 0 : n < 65536 ? 2 : 8) + 4;
    }

    /**
     * Writes a client frame's head for {@code n} bytes of payload at {@code into[at]} (FIN, {@code opcode}, the length, the
     * mask {@code mask}), {@link #head} bytes; the payload is to follow, masked with {@link #mask}.
     */
    static void writeHead(int opcode, int n, int mask, byte[] into, int at) {
        into[at] = (byte) (0x80 | opcode);
        if (n < 126) {
            into[at + 1] = (byte) (0x80 | n);
            at += 2;
        } else if (n < 65536) {
            into[at + 1] = (byte) (0x80 | 126);
            into[at + 2] = (byte) (n >>> 8);
            into[at + 3] = (byte) n;
            at += 4;
        } else {
            into[at + 1] = (byte) (0x80 | 127);
            for (int i = 0; i < 8; i++) into[at + 2 + i] = (byte) ((long) n >>> (56 - 8 * i));
            at += 10;
        }
        for (int i = 0; i < 4; i++) into[at + i] = (byte) (mask >>> (24 - 8 * i));
    }

    /**
     * XORs {@code buf[at, at + n)} in place with the four mask bytes at {@code buf[maskAt]} (masking and unmasking are the
     * same), eight bytes at a time.
     */
    static void mask(byte[] buf, int at, int n, byte[] maskIn, int maskAt) {
        int m = ((maskIn[maskAt] & 0xff) << 24) | ((maskIn[maskAt + 1] & 0xff) << 16) | ((maskIn[maskAt + 2] & 0xff) << 8)
                | (maskIn[maskAt + 3] & 0xff);
        long wide = ((long) m << 32) | (m & 0xffffffffL);
        int i = 0;
        for (; i + 8 <= n; i += 8) LONGS.set(buf, at + i, (long) LONGS.get(buf, at + i) ^ wide);
        for (; i < n; i++) buf[at + i] ^= (byte) (m >>> (24 - 8 * (i & 3)));
    }

    /**
     * The frame at {@code buf[from, end)}, or null while it is incomplete; a masked frame (a server must not mask, a client's
     * frame read back does) is unmasked in place.
     */
    static Frame next(byte[] buf, int from, int end) {
        if (end - from < 2) return null;
        int b0 = buf[from] & 0xff;
        int b1 = buf[from + 1] & 0xff;
        boolean masked = (b1 & 0x80) != 0;
        long n = b1 & 0x7f;
        int at = from + 2;
        if (n == 126) {
            if (end - at < 2) return null;
            n = ((buf[at] & 0xff) << 8) | (buf[at + 1] & 0xff);
            at += 2;
        } else if (n == 127) {
            if (end - at < 8) return null;
            n = 0;
            for (int i = 0; i < 8; i++) n = (n << 8) | (buf[at + i] & 0xff);
            at += 8;
        }
        if (n > Integer.MAX_VALUE - 16) throw new IllegalStateException("a frame of " + n + " bytes");
        int maskAt = at;
        if (masked) at += 4;
        if (end - at < n) return null;
        // a whole frame is read once: unmasked in place, its bytes are consumed
        if (masked) mask(buf, at, (int) n, buf, maskAt);
        return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, at, (int) n, at + (int) n - from);
    }
}
