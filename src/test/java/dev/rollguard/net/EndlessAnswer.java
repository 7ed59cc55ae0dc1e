package dev.rollguard.net;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hostile HTTP receiver on loopback: it answers every request with {@code status} and a chunked body that goes on
 * and on, either as fast as the client reads ({@code byteEveryMillis} 0, up to {@link #FLOOD} bytes, after which it
 * holds the connection open without ending it) or one byte at a time. It counts what it managed to send.
 */
public final class EndlessAnswer implements AutoCloseable {
    /** What a flood sends at most: more than any cap, little enough for a test JVM that does read it all. */
    public static final long FLOOD = 64L << 20;

    public final AtomicLong sent = new AtomicLong();
    private final ServerSocket socket;
    private final Thread acceptor;

    public EndlessAnswer(int status, long byteEveryMillis) throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    Thread t = new Thread(() -> answer(s, status, byteEveryMillis), "endless-answer");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "endless-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void answer(Socket s, int status, long byteEveryMillis) {
        try (s) {
            // the request's headers and body are not read: the answer starts at once
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 " + status + " Oops\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (byteEveryMillis > 0) {
                while (true) {
                    out.write("1\r\nx\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    sent.incrementAndGet();
                    Thread.sleep(byteEveryMillis);
                }
            }
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'x');
            byte[] head = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            while (sent.get() < FLOOD) {
                out.write(head);
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                sent.addAndGet(chunk.length);
            }
            out.flush();
            Thread.sleep(Long.MAX_VALUE);
        } catch (IOException | InterruptedException e) {
            // the client hung up: what a bounded reader does
        }
    }

    public String url() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
