package dev.rollguard.web;

import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.auth.Role;
import dev.rollguard.config.Hashing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25 item 4: a config file with one byte that is not UTF-8 (a Latin-1 comment) is still read by the risk rules,
 * and people who download it get its secrets masked; agents and admins get its bytes as they are.
 */
class AnyEncodingTest {
    private final TestServer ts = new TestServer();

    @AfterEach
    void cleanUp() {
        ts.close();
    }

    private static byte[] wpConfig(String password) {
        // "café" in Latin-1: one byte 0xE9, invalid as UTF-8
        return ("<?php\n// caf\u00e9 au lait\ndefine('DB_PASSWORD', '" + password + "');\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private TestServer.Response push(byte[] wpConfig) {
        Map<String, Object> entry = Map.of("path", "wp-config.php", "base64", Base64.getEncoder().encodeToString(wpConfig),
                "sha256", Hashing.sha256(wpConfig));
        return ts.send("POST", "/api/v1/services/wp/versions", Json.write(Map.of("entries", List.of(entry), "message", "m")));
    }

    private String viewer() {
        assertThat(ts.send("POST", "/api/v1/users", "{\"name\": \"vi\"}").status()).isEqualTo(201);
        assertThat(ts.send("PUT", "/api/v1/users/vi/roles", "{\"service\": \"wp\", \"role\": \"" + Role.VIEWER + "\"}").status()).isEqualTo(200);
        return TestServer.json(ts.send("POST", "/api/v1/tokens", "{\"user\": \"vi\", \"name\": \"t\"}")).path("token").asText();
    }

    private byte[] download(int version, String token) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ts.url() + "/api/v1/services/wp/versions/"
                + version + "/files/wp-config.php?download=true")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void aLatin1PasswordChangeIsHighRiskAndMaskedForPeople() throws Exception {
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{\"validation\": {\"riskRules\": [{\"id\": \"db\", \"pathGlob\": \"**\", "
                + "\"lineRegex\": \"DB_PASSWORD\", \"reason\": \"credentials\"}]}}").status()).isEqualTo(200);
        TestServer.Response first = push(wpConfig("old-secret"));
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        TestServer.Response second = push(wpConfig("new-secret"));
        assertThat(second.status()).as(second.body()).isEqualTo(201);
        assertThat(TestServer.json(second).path("version").path("highRisk").asBoolean()).as(second.body()).isTrue();
        int v = TestServer.json(second).path("version").path("number").asInt();

        byte[] seen = download(v, viewer());
        assertThat(new String(seen, StandardCharsets.ISO_8859_1)).doesNotContain("new-secret")
                .isEqualTo("<?php\n// caf\u00e9 au lait\ndefine('DB_PASSWORD', '********');\n");
        assertThat(download(v, TestServer.ADMIN_TOKEN)).isEqualTo(wpConfig("new-secret"));
    }
}
