package dev.rollguard.sim;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpExchangeTest {
    private static HttpExchange.Response parse(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return HttpExchange.parse(b, b.length);
    }

    @Test
    void aResponseWithContentLengthIsWholeOnlyWithItsWholeBody() {
        String r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"desiredVersion\":7}";
        assertThat(parse(r.substring(0, r.length() - 1))).isNull();
        assertThat(parse(r.substring(0, 30))).isNull();
        HttpExchange.Response whole = parse(r);
        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.close()).isFalse();
        assertThat(whole.length()).isEqualTo(r.length());
        assertThat(HttpExchange.intField(whole.body(), "desiredVersion")).isEqualTo(7);
    }

    @Test
    void aChunkedResponseIsJoinedAndItsEndFound() {
        String r = "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + "5\r\n{\"a\":\r\n3;x=y\r\n1}\n\r\n0\r\n\r\n";
        assertThat(parse(r.substring(0, r.length() - 2))).isNull();
        HttpExchange.Response whole = parse(r);
        assertThat(whole.status()).isEqualTo(503);
        assertThat(whole.close()).isTrue();
        assertThat(new String(whole.body(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}\n");
        assertThat(whole.length()).isEqualTo(r.length());
    }

    @Test
    void aStreamsChunksAreDecodedAsTheyComplete() {
        byte[] b = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab\n\n\r\n3\r\ncd".getBytes(StandardCharsets.ISO_8859_1);
        HttpExchange.Head head = HttpExchange.head(b, b.length);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.chunked()).isTrue();
        StringBuilder events = new StringBuilder();
        int rest = HttpExchange.dechunk(b, head.length(), b.length, events);
        assertThat(events.toString()).isEqualTo("ab\n\n");
        assertThat(new String(b, rest, b.length - rest, StandardCharsets.ISO_8859_1)).isEqualTo("3\r\ncd");
    }

    @Test
    void aNullOrMissingVersionIsNull() {
        assertThat(HttpExchange.intField("{\"desiredVersion\":null}".getBytes(StandardCharsets.UTF_8), "desiredVersion")).isNull();
        assertThat(HttpExchange.intField("{}".getBytes(StandardCharsets.UTF_8), "desiredVersion")).isNull();
    }

    @Test
    void notHttpIsRefused() {
        assertThatThrownBy(() -> parse("SSH-2.0-OpenSSH\r\n\r\n")).isInstanceOf(IllegalStateException.class);
    }
}
