package dev.rollguard.agent;

import dev.rollguard.protocol.AgentProtocol.PreflightSpec;
import dev.rollguard.protocol.AgentProtocol.Probe;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which probes a preflight requests: the host's own flags, else the service spec's, else GET / expecting 200. */
class SafeguardsTest {
    private static final Preflight.Shadow SHADOW = new ShadowCommand("true", null);
    private static final PreflightSpec SERVICE = new PreflightSpec(List.of(new Probe("/", 200, "<title>Shop")), 30);
    private static final PreflightSpec LOCAL = new PreflightSpec(List.of(new Probe("/health.php", 204, null)), 5);

    @Test
    void theHostsOwnProbesOverrideTheServices() {
        assertThat(new Safeguards(SHADOW, LOCAL, null).probes(SERVICE)).isEqualTo(LOCAL);
    }

    @Test
    void withoutItsOwnTheHostUsesTheServicesThenTheDefault() {
        assertThat(new Safeguards(SHADOW, null, null).probes(SERVICE)).isEqualTo(SERVICE);
        assertThat(new Safeguards(SHADOW, null, null).probes(null)).isEqualTo(PreflightSpec.DEFAULT);
        assertThat(PreflightSpec.DEFAULT.probes()).containsExactly(new Probe("/", 200, null));
    }
}
