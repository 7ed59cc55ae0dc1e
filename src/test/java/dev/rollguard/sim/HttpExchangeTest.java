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
        assertThat(HttpExchange.intField(whole.body(), 0, whole.body().length, HttpExchange.key("desiredVersion"))).isEqualTo(7);
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
        HttpExchange.Bytes events = new HttpExchange.Bytes();
        int rest = HttpExchange.dechunk(b, head.length(), b.length, events);
        assertThat(new String(events.data, 0, events.length, StandardCharsets.UTF_8)).isEqualTo("ab\n\n");
        events.drop(3);
        assertThat(new String(events.data, 0, events.length, StandardCharsets.UTF_8)).isEqualTo("\n");
        assertThat(new String(b, rest, b.length - rest, StandardCharsets.ISO_8859_1)).isEqualTo("3\r\ncd");
    }

    @Test
    void aNullOrMissingVersionIsNull() {
        byte[] key = HttpExchange.key("desiredVersion");
        byte[] none = "{\"desiredVersion\":null}".getBytes(StandardCharsets.UTF_8);
        assertThat(HttpExchange.intField(none, 0, none.length, key)).isEqualTo(HttpExchange.ABSENT);
        assertThat(HttpExchange.intField(new byte[]{'{', '}'}, 0, 2, key)).isEqualTo(HttpExchange.ABSENT);
        // read in place: only the range given counts
        byte[] two = "{\"desiredVersion\":12}{\"desiredVersion\": -3}".getBytes(StandardCharsets.UTF_8);
        assertThat(HttpExchange.intField(two, 0, two.length, key)).isEqualTo(12);
        assertThat(HttpExchange.intField(two, 21, two.length, key)).isEqualTo(-3);
        assertThat(HttpExchange.intField(two, 0, 18, key)).isEqualTo(HttpExchange.ABSENT);
    }

    @Test
    void headerNamesAreReadInAnyCaseAndHttp10Closes() {
        byte[] b = "HTTP/1.1 200 OK\r\ncontent-LENGTH:  2 \r\nConnection: keep-alive\r\nX-Connection: close\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1);
        HttpExchange.Head h = HttpExchange.head(b, b.length);
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.contentLength()).isEqualTo(2);
        assertThat(h.close()).isFalse();
        assertThat(h.chunked()).isFalse();
        byte[] old = "HTTP/1.0 204 No Content\r\nTRANSFER-ENCODING: gzip, Chunked\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        HttpExchange.Head o = HttpExchange.head(old, old.length);
        assertThat(o.status()).isEqualTo(204);
        assertThat(o.close()).isTrue();
        assertThat(o.chunked()).isTrue();
        assertThat(o.length()).isEqualTo(old.length);
    }

    @Test
    void notHttpIsRefused() {
        assertThatThrownBy(() -> parse("SSH-2.0-OpenSSH\r\n\r\n")).isInstanceOf(IllegalStateException.class);
    }
}
