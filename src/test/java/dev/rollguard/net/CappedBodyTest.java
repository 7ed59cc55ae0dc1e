package dev.rollguard.net;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 25 item 1: an answer's body is read under a size and a time bound, whatever the other end sends. */
class CappedBodyTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anEndlessBodyStopsAtTheCapAndTheConnectionIsDropped() throws Exception {
        try (EndlessAnswer endless = new EndlessAnswer(500, 0)) {
            HttpResponse<CappedBody.Text> r = http.sendAsync(HttpRequest.newBuilder(URI.create(endless.url() + "/hook")).build(),
                    CappedBody.handler(4096, Duration.ofMinutes(5))).get(2, TimeUnit.MINUTES);
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body().truncated()).isTrue();
            assertThat(r.body().text()).hasSize(4096);
            // the sender stops once the reader hung up: socket buffers' worth, far from the flood
            assertThat(endless.sent.get()).isLessThan(EndlessAnswer.FLOOD);
        }
    }

    @Test
    void aTricklingBodyTimesOut() throws Exception {
        try (EndlessAnswer trickle = new EndlessAnswer(200, 100)) {
            var answer = http.sendAsync(HttpRequest.newBuilder(URI.create(trickle.url())).build(),
                    CappedBody.handler(1 << 20, Duration.ofSeconds(1)));
            assertThatThrownBy(() -> answer.get(2, TimeUnit.MINUTES)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(HttpTimeoutException.class);
        }
    }

    @Test
    void aShortBodyIsReadWholeAndInvalidBytesAreReplaced() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] out = {'o', 'k', (byte) 0xff};
            ex.sendResponseHeaders(200, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
        try {
            HttpResponse<CappedBody.Text> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort())).build(),
                    CappedBody.handler(4096, Duration.ofSeconds(30)));
            assertThat(r.body()).isEqualTo(new CappedBody.Text("ok\uFFFD", false));
        } finally {
            server.stop(0);
        }
    }
}
