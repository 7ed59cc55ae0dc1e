package dev.rollguard.sim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pollers read a release as the agent does (its version; its bundle along and of that version) where it lies, and
 * spell the agent's report in place: the same JSON as the String form.
 */
class AgentMessagesTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aReleaseIsAppliedOnlyWithItsOwnVersionsBundle() {
        byte[] along = bytes("xx{\"desired\":{\"desiredVersion\":12,\"bundle\":{\"service\":\"wp\",\"version\":12,\"treeHash\":\"h\"}}}yy");
        int from = 2;
        int end = along.length - 2;
        assertThat(AgentMessages.kind(along, from, end)).isEqualTo(AgentMessages.Kind.DESIRED);
        assertThat(AgentMessages.desiredVersion(along, from, end)).isEqualTo(12);
        assertThat(AgentMessages.carriesBundle(along, from, end, 12)).isTrue();
        // a bundle of another version, or none (too large to ride along): not applied from this answer
        byte[] stale = bytes("{\"desired\":{\"desiredVersion\":13,\"bundle\":{\"service\":\"wp\",\"version\":12}}}");
        assertThat(AgentMessages.carriesBundle(stale, 0, stale.length, 13)).isFalse();
        byte[] without = bytes("{\"desired\":{\"desiredVersion\":13}}");
        assertThat(AgentMessages.carriesBundle(without, 0, without.length, 13)).isFalse();
        byte[] none = bytes("{\"desired\":{\"desiredVersion\":null}}");
        assertThat(AgentMessages.desiredVersion(none, 0, none.length)).isEqualTo(HttpExchange.ABSENT);
    }

    @Test
    void channelMessagesAreToldApartByTheirField() {
        byte[] reported = bytes("{\"reported\":{\"desiredVersion\":3}}");
        assertThat(AgentMessages.kind(reported, 0, reported.length)).isEqualTo(AgentMessages.Kind.REPORTED);
        byte[] error = bytes("{\"error\":{\"status\":500}}");
        assertThat(AgentMessages.kind(error, 0, error.length)).isEqualTo(AgentMessages.Kind.ERROR);
        byte[] other = bytes("{\"other\":1}");
        assertThat(AgentMessages.kind(other, 0, other.length)).isEqualTo(AgentMessages.Kind.OTHER);
    }

    @Test
    void aStreamsReleaseEventIsFoundAndOthersAreNot() {
        byte[] stream = bytes(": heartbeat\n\nevent: desired\ndata: {\"desiredVersion\":4}\n\nevent:other\ndata: {}\n\n");
        int first = AgentMessages.eventEnd(stream, 0, stream.length);
        assertThat(AgentMessages.desiredData(stream, 0, first)).isNegative();
        int from = first + AgentMessages.EVENT_SEPARATOR;
        int second = AgentMessages.eventEnd(stream, from, stream.length);
        int data = AgentMessages.desiredData(stream, from, second);
        assertThat(AgentMessages.desiredVersion(stream, data, second)).isEqualTo(4);
        from = second + AgentMessages.EVENT_SEPARATOR;
        assertThat(AgentMessages.desiredData(stream, from, AgentMessages.eventEnd(stream, from, stream.length))).isNegative();
    }

    @Test
    void theReportSpeltInPlaceIsTheAgentsJson() throws Exception {
        for (int version : new int[]{0, 7, 10, 99, 12345, Integer.MAX_VALUE}) {
            byte[] into = new byte[200];
            int end = AgentMessages.report(version, into, 14);
            String spelt = new String(into, 14, end - 14, StandardCharsets.UTF_8);
            assertThat(spelt).isEqualTo(AgentMessages.report(version));
            JsonNode report = Json.MAPPER.readTree(spelt);
            assertThat(report.path("appliedVersion").asLong()).isEqualTo(version);
            assertThat(report.has("failedVersion")).isTrue();
        }
    }
}
