package dev.rollguard.web;

import dev.rollguard.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Without a sign-in, a page sends the browser to the login, a live fragment tells htmx to go there, and the API answers
 * 401: decided by what the matched route was registered as (page, fragment, API), not by its path.
 */
class SignInRedirectTest {
    private final HttpClient noRedirects = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private TestServer ts;

    @BeforeEach
    void setUp() {
        ts = new TestServer();
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{}").status()).isBetween(200, 299);
    }

    @AfterEach
    void cleanUp() {
        ts.close();
    }

    private HttpResponse<String> anonymous(String path) throws Exception {
        return noRedirects.send(HttpRequest.newBuilder(URI.create(ts.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pagesRedirectFragmentsAskHtmxTheApiRefuses() throws Exception {
        HttpResponse<String> page = anonymous("/services/wp");
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(page.headers().firstValue("Location")).hasValue("/login?next=%2Fservices%2Fwp");

        HttpResponse<String> fragment = anonymous("/ui/services/wp/environments/production/hosts");
        assertThat(fragment.statusCode()).isEqualTo(401);
        assertThat(fragment.headers().firstValue("HX-Redirect")).hasValue("/login");

        HttpResponse<String> api = anonymous("/api/v1/services/wp/environments/production/hosts");
        assertThat(api.statusCode()).isEqualTo(401);
        assertThat(api.headers().firstValue("HX-Redirect")).isEmpty();
        assertThat(api.body()).contains("unauthenticated");

        assertThat(anonymous("/metrics").statusCode()).isEqualTo(200);
    }
}
