package dev.rollguard.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java names say {@code env}; the hosts and events the API has always answered say {@code environment}, and keep
 * saying it for the clients that read them.
 */
class WireNamesTest {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void hostsAndEventsKeepTheirEnvironmentField() {
        JsonNode host = Json.MAPPER.valueToTree(new HostInfo("wp", "production", "h1", null, T, T, 3, 3, null, null));
        assertThat(host.path("environment").asText()).isEqualTo("production");
        assertThat(host.has("env")).isFalse();

        JsonNode event = Json.MAPPER.valueToTree(new EventRecord("e1", "wp", "production", "r1", "rollout_started", "started",
                EventData.NONE, T));
        assertThat(event.path("environment").asText()).isEqualTo("production");
        assertThat(event.has("env")).isFalse();
        assertThat(Json.MAPPER.convertValue(event, EventRecord.class).env()).isEqualTo("production");
    }
}
