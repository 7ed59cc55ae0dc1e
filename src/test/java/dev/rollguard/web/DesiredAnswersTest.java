package dev.rollguard.web;

import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.WireEntry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DesiredAnswersTest {
    private static final AgentProtocol.Bundle SHARED = new AgentProtocol.Bundle("wp", 7, "abc", List.<WireEntry>of());

    @Test
    void aSharedBundleIsWrittenOncePerRelease() {
        DesiredAnswers answers = new DesiredAnswers();
        AgentProtocol.Desired d = new AgentProtocol.Desired(7, SHARED, AgentProtocol.PreflightSpec.DEFAULT);
        byte[] first = answers.bytes(d);
        assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo(Json.write(d));
        assertThat(answers.bytes(new AgentProtocol.Desired(7, SHARED, AgentProtocol.PreflightSpec.DEFAULT))).isSameAs(first);
    }

    @Test
    void anotherPreflightOrBundleObjectIsWrittenAnew() {
        DesiredAnswers answers = new DesiredAnswers();
        byte[] first = answers.bytes(new AgentProtocol.Desired(7, SHARED, AgentProtocol.PreflightSpec.DEFAULT));
        var probes = new AgentProtocol.PreflightSpec(List.of(new AgentProtocol.Probe("/health", 200, null)), 5);
        AgentProtocol.Desired changed = new AgentProtocol.Desired(7, SHARED, probes);
        byte[] second = answers.bytes(changed);
        assertThat(second).isNotSameAs(first);
        assertThat(new String(second, StandardCharsets.UTF_8)).isEqualTo(Json.write(changed)).contains("/health");
    }

    @Test
    void aBundleRenderedForOneHostIsNeverKept() {
        DesiredAnswers answers = new DesiredAnswers();
        var forHost = new AgentProtocol.Bundle("wp", 7, "production", "web-1", "abc", List.<WireEntry>of());
        AgentProtocol.Desired d = new AgentProtocol.Desired(7, forHost, null);
        byte[] first = answers.bytes(d);
        assertThat(answers.bytes(d)).isNotSameAs(first).isEqualTo(first);
        assertThat(new String(first, StandardCharsets.UTF_8)).contains("web-1");
    }
}
