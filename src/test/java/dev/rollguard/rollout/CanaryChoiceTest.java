package dev.rollguard.rollout;

import dev.rollguard.config.RolloutPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 25 item 9: canaries are chosen by the spec (a label, or at random among long-lived hosts), never by name. */
class CanaryChoiceTest {
    private static final Instant NOW = Instant.parse("2026-12-06T09:00:00Z");

    private static HostInfo host(String name, String labels, Duration age) {
        return new HostInfo("wp", "production", name, labels, NOW.minus(age), NOW, 1, 1, null, null);
    }

    private static final List<HostInfo> FLEET = IntStream.range(0, 10)
            .mapToObj(i -> host(String.format("web-%02d", i), i == 7 ? "role=web,canary=yes" : "role=web", Duration.ofDays(30)))
            .toList();

    @Test
    void aHostNamedToComeFirstDoesNotBecomeTheCanary() {
        // registered a minute ago, named to sort first: it goes after every long-lived host, whatever the seed
        List<HostInfo> withFake = new ArrayList<>(FLEET);
        withFake.add(host("aaa-0", "canary=no", Duration.ofMinutes(1)));
        for (long seed = 0; seed < 50; seed++) {
            List<String> order = CanaryChoice.order(withFake, RolloutPolicy.Canary.DEFAULT, seed, NOW);
            assertThat(order).hasSize(11).endsWith("aaa-0");
        }
    }

    @Test
    void theSeedDecidesAndIsReproducible() {
        Set<String> first = new HashSet<>();
        List<HostInfo> reversed = new ArrayList<>(FLEET);
        Collections.reverse(reversed);
        for (long seed = 0; seed < 50; seed++) {
            List<String> order = CanaryChoice.order(FLEET, RolloutPolicy.Canary.DEFAULT, seed, NOW);
            assertThat(order).containsExactlyInAnyOrderElementsOf(FLEET.stream().map(HostInfo::host).toList());
            assertThat(CanaryChoice.order(reversed, RolloutPolicy.Canary.DEFAULT, seed, NOW)).as("same hosts, same seed").isEqualTo(order);
            first.add(order.get(0));
        }
        assertThat(first).as("canaries drawn over 50 seeds").hasSizeGreaterThan(3);
    }

    @Test
    void labelledHostsGoFirst() {
        RolloutPolicy.Canary byLabel = new RolloutPolicy.Canary("canary=yes", null);
        for (long seed = 0; seed < 20; seed++) {
            assertThat(CanaryChoice.order(FLEET, byLabel, seed, NOW).get(0)).isEqualTo("web-07");
        }
        assertThat(CanaryChoice.carries("role=web, canary=yes", "canary=yes")).isTrue();
        assertThat(CanaryChoice.carries("role=web,canary=yes", "canary")).isTrue();
        assertThat(CanaryChoice.carries("role=web,canary=yesno", "canary=yes")).isFalse();
        assertThat(CanaryChoice.carries(null, "canary")).isFalse();
        assertThatThrownBy(() -> new RolloutPolicy.Canary("a,b", null)).hasMessageContaining("key=value");
        assertThatThrownBy(() -> new RolloutPolicy.Canary(null, -1)).hasMessageContaining("minAgeSeconds");
    }
}
