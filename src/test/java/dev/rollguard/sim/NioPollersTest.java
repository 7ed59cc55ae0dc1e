package dev.rollguard.sim;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The pollers against a server of a few lines, where what goes on which connection is the point. */
class NioPollersTest {
    /** The request's head as it came (empty: the client closed the connection without sending one). */
    private static String head(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            got.write(b);
            if (got.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) break;
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void afterConnectionCloseTheNextRequestGoesOnAFreshConnectionOnly() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             NioPollers pollers = new NioPollers("wp", "production", "t", PollerSwarm.Transport.LONG_POLL, (agent, version) -> {})) {
            pollers.start(0, "h1", URI.create("http://127.0.0.1:" + server.getLocalPort()));
            try (Socket first = server.accept()) {
                assertThat(head(first)).startsWith("GET ");
                String body = "{\"desiredVersion\":null}";
                first.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
                        .getBytes(StandardCharsets.ISO_8859_1));
                // the server said it closes this connection: nothing more may be written on it (the client closes it)
                assertThat(head(first)).as("written on the connection the server closes").isEmpty();
            }
            try (Socket second = server.accept()) {
                assertThat(head(second)).as("the next long-poll, on the fresh connection").startsWith("GET ");
            }
        }
    }
}
