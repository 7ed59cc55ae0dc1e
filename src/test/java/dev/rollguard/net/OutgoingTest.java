package dev.rollguard.net;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 25 item 8: the outgoing address policy, and requests pinned to the address it judged. */
class OutgoingTest {
    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void addressesAreSortedIntoKinds() {
        assertThat(OutgoingPolicy.kind(ip("127.0.0.1"))).hasValue(OutgoingPolicy.Kind.LOOPBACK);
        assertThat(OutgoingPolicy.kind(ip("127.8.9.10"))).hasValue(OutgoingPolicy.Kind.LOOPBACK);
        assertThat(OutgoingPolicy.kind(ip("::1"))).hasValue(OutgoingPolicy.Kind.LOOPBACK);
        assertThat(OutgoingPolicy.kind(ip("::ffff:127.0.0.1"))).hasValue(OutgoingPolicy.Kind.LOOPBACK);
        assertThat(OutgoingPolicy.kind(ip("::127.0.0.1"))).hasValue(OutgoingPolicy.Kind.LOOPBACK);
        assertThat(OutgoingPolicy.kind(ip("169.254.169.254"))).hasValue(OutgoingPolicy.Kind.METADATA);
        assertThat(OutgoingPolicy.kind(ip("fd00:ec2::254"))).hasValue(OutgoingPolicy.Kind.METADATA);
        assertThat(OutgoingPolicy.kind(ip("169.254.1.1"))).hasValue(OutgoingPolicy.Kind.LINK_LOCAL);
        assertThat(OutgoingPolicy.kind(ip("fe80::1"))).hasValue(OutgoingPolicy.Kind.LINK_LOCAL);
        for (String p : List.of("10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fd12::1")) {
            assertThat(OutgoingPolicy.kind(ip(p))).as(p).hasValue(OutgoingPolicy.Kind.PRIVATE);
        }
        assertThat(OutgoingPolicy.kind(ip("100.64.0.1"))).hasValue(OutgoingPolicy.Kind.SHARED);
        for (String u : List.of("0.0.0.0", "0.1.2.3", "::", "224.0.0.1", "255.255.255.255", "240.0.0.1")) {
            assertThat(OutgoingPolicy.kind(ip(u))).as(u).hasValue(OutgoingPolicy.Kind.UNROUTABLE);
        }
        for (String pub : List.of("8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888", "1.1.1.1")) {
            assertThat(OutgoingPolicy.kind(ip(pub))).as(pub).isEmpty();
        }
    }

    @Test
    void onlyWhatTheOperatorAllowsIsReached() {
        assertThat(OutgoingPolicy.PUBLIC_ONLY.refusal(ip("8.8.8.8"))).isEmpty();
        assertThat(OutgoingPolicy.PUBLIC_ONLY.refusal(ip("127.0.0.1"))).hasValueSatisfying(r ->
                assertThat(r).contains("127.0.0.1 is a loopback address", "--allow-outgoing loopback"));
        OutgoingPolicy p = OutgoingPolicy.parse("loopback, 10.20.0.0/16,link-local");
        assertThat(p.refusal(ip("127.0.0.1"))).isEmpty();
        assertThat(p.refusal(ip("10.20.3.4"))).isEmpty();
        assertThat(p.refusal(ip("10.21.0.1"))).isPresent();
        assertThat(p.refusal(ip("169.254.1.1"))).isEmpty();
        // allowing link-local does not open the metadata endpoint: it has to be named
        assertThat(p.refusal(ip("169.254.169.254"))).isPresent();
        assertThat(OutgoingPolicy.parse("metadata").refusal(ip("169.254.169.254"))).isEmpty();
        assertThat(OutgoingPolicy.parse("").refusal(ip("192.168.0.1"))).isPresent();
        assertThatThrownBy(() -> OutgoingPolicy.parse("lopback")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'lopback'").hasMessageContaining("loopback, link-local");
        assertThatThrownBy(() -> OutgoingPolicy.parse("10.0.0.0/33")).hasMessageContaining("prefix length");
        assertThat(p.describe()).isEqualTo("outgoing requests (webhooks, Prometheus): public addresses and link-local, loopback, 10.20.0.0/16");
    }

    @Test
    void aNameWithAnyRefusedAddressIsRefused() {
        Outgoing o = new Outgoing(OutgoingPolicy.PUBLIC_ONLY, h -> List.of(ip("93.184.215.14"), ip("10.0.0.7")));
        assertThatThrownBy(() -> o.target(URI.create("https://hooks.example/x"))).isInstanceOf(Outgoing.Refused.class)
                .hasMessageContaining("hooks.example: 10.0.0.7 is a private address");
        Outgoing none = new Outgoing(OutgoingPolicy.PUBLIC_ONLY, h -> { throw new UnknownHostException(h); });
        assertThatThrownBy(() -> none.target(URI.create("http://nowhere.invalid/"))).hasMessageContaining("does not resolve");
    }

    @Test
    void aPlainHttpRequestGoesToTheAddressCheckedNotToASecondAnswer() throws Exception {
        // a rebinding name: public for the check, loopback for whoever asks next
        AtomicInteger asked = new AtomicInteger();
        Outgoing.Resolver rebinding = h -> asked.getAndIncrement() == 0 ? List.of(ip("93.184.215.14")) : List.of(ip("127.0.0.1"));
        Outgoing.Target t = new Outgoing(OutgoingPolicy.PUBLIC_ONLY, rebinding).target(URI.create("http://evil.example:8080/hook?a=%20b"));
        assertThat(t.uri()).isEqualTo(URI.create("http://93.184.215.14:8080/hook?a=%20b"));
        assertThat(t.hostHeader()).isEqualTo("evil.example:8080");
        assertThat(asked.get()).isEqualTo(1);
        // https keeps its name: the certificate must match it, which no internal service a rebinding points at can show
        Outgoing.Target tls = new Outgoing(OutgoingPolicy.PUBLIC_ONLY, h -> List.of(ip("93.184.215.14"))).target(URI.create("https://hooks.example/x"));
        assertThat(tls.uri()).isEqualTo(URI.create("https://hooks.example/x"));
        Outgoing.Target v6 = new Outgoing(OutgoingPolicy.PUBLIC_ONLY, h -> List.of(ip("2001:db8::1"))).target(URI.create("http://six.example/x"));
        assertThat(v6.uri().getHost()).isEqualTo("[2001:db8:0:0:0:0:0:1]");
    }

    @Test
    void aPinnedRequestKeepsItsNameInTheHostHeader() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicReference<String> host = new AtomicReference<>();
        server.createContext("/", ex -> {
            host.set(ex.getRequestHeaders().getFirst("Host"));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        try {
            List<String> names = new ArrayList<>();
            Outgoing o = new Outgoing(OutgoingPolicy.parse("loopback"), h -> {
                names.add(h);
                return List.of(InetAddress.getLoopbackAddress());
            });
            int port = server.getAddress().getPort();
            HttpResponse<Void> r = HttpClient.newHttpClient().send(o.request(URI.create("http://receiver.example:" + port + "/hook"))
                    .GET().build(), HttpResponse.BodyHandlers.discarding());
            assertThat(r.statusCode()).isEqualTo(204);
            assertThat(names).containsExactly("receiver.example");
            assertThat(host.get()).isEqualTo("receiver.example:" + port);
            assertThat(Optional.ofNullable(r.uri().getHost())).hasValue("127.0.0.1");
        } finally {
            server.stop(0);
        }
    }
}
