package dev.rollguard.sim;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;

/**
 * The few WebSocket frames (RFC 6455) the pollers speak on an agent's channel: the upgrade request, a client's masked
 * text and pong frames, and the server's unmasked frames read off the connection as they arrive. Pure and incremental:
 * {@link #next} answers null until a whole frame is in the buffer.
 */
final class WsFrames {
    static final int CONTINUATION = 0;
    static final int TEXT = 1;
    static final int CLOSE = 8;
    static final int PING = 9;
    static final int PONG = 10;

    private WsFrames() {}

    /** One frame from the server: its opcode, whether it ends its message, its payload, and the bytes it took. */
    record Frame(int opcode, boolean fin, byte[] payload, int length) {}

    /** The upgrade's request headers (after the request line and the caller's own headers), with a fresh key. */
    static String upgradeHeaders(SplittableRandom random) {
        byte[] key = new byte[16];
        for (int i = 0; i < key.length; i++) key[i] = (byte) random.nextInt(256);
        return "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\n\r\n";
    }

    /** A client's frame: FIN, {@code opcode}, the payload masked with a key of {@code random} (a client must mask). */
    static byte[] client(int opcode, byte[] payload, SplittableRandom random) {
        int n = payload.length;
        int lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
        byte[] f = new byte[2 + lengthBytes + 4 + n];
        f[0] = (byte) (0x80 | opcode);
        int at = 2;
        if (lengthBytes == 0) {
            f[1] = (byte) (0x80 | n);
        } else if (lengthBytes == 2) {
            f[1] = (byte) (0x80 | 126);
            f[2] = (byte) (n >>> 8);
            f[3] = (byte) n;
            at = 4;
        } else {
            f[1] = (byte) (0x80 | 127);
            for (int i = 0; i < 8; i++) f[2 + i] = (byte) ((long) n >>> (56 - 8 * i));
            at = 10;
        }
        int mask = random.nextInt();
        for (int i = 0; i < 4; i++) f[at + i] = (byte) (mask >>> (24 - 8 * i));
        for (int i = 0; i < n; i++) f[at + 4 + i] = (byte) (payload[i] ^ f[at + (i & 3)]);
        return f;
    }

    static byte[] text(String s, SplittableRandom random) {
        return client(TEXT, s.getBytes(StandardCharsets.UTF_8), random);
    }

    /** The frame at {@code buf[from, end)}, or null while it is incomplete; a masked server frame is unmasked. */
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
        byte[] payload = new byte[(int) n];
        System.arraycopy(buf, at, payload, 0, (int) n);
        if (masked) for (int i = 0; i < n; i++) payload[i] ^= buf[maskAt + (i & 3)];
        return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, payload, at + (int) n - from);
    }
}
