package dev.rollguard.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PushSimulationTest {
    private static PushSimulation.Result run(int hosts, int replicas, double micros) {
        return PushSimulation.run(new PushSimulation.Params(hosts, replicas, 2, micros, 2, 0.5, 50, 1));
    }

    @Test
    void theLastHostWaitsForItsReplicasWholeShareOfTheWork() {
        // 100,000 hosts at 200 µs on 4 two-core replicas: 25,000 hosts × 0.2 ms / 2 cores = 2.5 s of work per core
        var r = run(100_000, 4, 200);
        assertThat(r.hostsPerReplica()).isEqualTo(25_000);
        assertThat(r.maxMillis()).isCloseTo(2 + 2500 + 0.25, within(60.0));
        assertThat(r.p99Millis()).isCloseTo(0.99 * 2500, within(60.0));
        assertThat(r.cpuMillisPerReplica()).isCloseTo(25_000 * 0.2, within(150.0));
        assertThat(r.heapMiBPerReplica()).isCloseTo(25_000 * 50 / 1024.0, within(0.01));
    }

    @Test
    void moreReplicasOrCheaperHostsNeverMakeItSlower() {
        double last = Double.MAX_VALUE;
        for (int replicas : new int[]{1, 2, 4, 8, 16}) {
            double p99 = run(100_000, replicas, 250).p99Millis();
            assertThat(p99).isLessThan(last);
            last = p99;
        }
        assertThat(run(10_000, 1, 50).p99Millis()).isLessThan(run(10_000, 1, 250).p99Millis());
    }

    @Test
    void theSameSeedGivesTheSameFigures() {
        assertThat(run(5_000, 3, 100)).isEqualTo(run(5_000, 3, 100));
    }

    @Test
    void nonsenseIsRefused() {
        assertThatThrownBy(() -> run(0, 1, 100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> run(10, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
