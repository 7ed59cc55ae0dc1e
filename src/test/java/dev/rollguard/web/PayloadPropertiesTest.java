package dev.rollguard.web;

import dev.rollguard.Problem;
import dev.rollguard.incident.Alertmanager;
import dev.rollguard.protocol.AgentProtocol;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/** Whatever bytes a client sends, parsing ends in a value or a 4xx with a stable code and a message: no crash, no hang. */
class PayloadPropertiesTest {
    @Provide
    Arbitrary<String> jsonish() {
        Arbitrary<String> fragments = Arbitraries.of("{", "}", "[", "]", ",", ":", "\"files\"", "\"version\"", "\"alerts\"", "\"status\"",
                "\"firing\"", "\"labels\"", "\"alertname\"", "\"service\"", "\"wp\"", "\"startsAt\"", "\"2026-01-01T00:00:00Z\"", "null",
                "true", "1", "-7", "1e999", "\"\\u0000\"", " ", "\"a.conf\"", "\"x\"", "\"breakGlass\"", "\"samples\"", "{}", "[]");
        return fragments.list().ofMaxSize(30).map(l -> String.join("", l));
    }

    @Property(tries = 1500)
    void requestBodiesParseOrAreRefusedClearly(@ForAll("jsonish") String body) {
        for (Class<?> type : new Class<?>[]{ConfigRoutes.PushBody.class, RolloutRoutes.ReleaseBody.class, AgentProtocol.Report.class, AgentProtocol.Register.class,
                IncidentRoutes.OpenBody.class, AuthRoutes.TokenBody.class}) {
            try {
                assertThat((Object) ApiServer.parse(body, type)).isNotNull();
            } catch (Problem p) {
                assertThat(p.status()).isBetween(400, 499);
                assertThat(p.code()).isIn("missing_body", "malformed_json", "invalid_request");
                assertThat(p.getMessage()).isNotBlank();
            }
        }
        try {
            assertThat(Alertmanager.parse(body, null, null).alerts()).isNotEmpty();
        } catch (Problem p) {
            assertThat(p.status()).isEqualTo(400);
            assertThat(p.code()).isEqualTo("invalid_alertmanager_payload");
            assertThat(p.getMessage()).isNotBlank();
        }
    }
}
