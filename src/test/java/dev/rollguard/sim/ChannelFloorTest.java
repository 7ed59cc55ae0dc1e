package dev.rollguard.sim;

import dev.rollguard.Json;
import dev.rollguard.protocol.AgentProtocol;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The floor answers a report with the bytes the real path writes, spelt without Jackson. */
class ChannelFloorTest {
    @Test
    void theReportsAnswerIsWhatTheRealPathWrites() {
        for (int v : new int[]{0, 1, 7, 123_456}) {
            String jackson = Json.write(new AgentProtocol.ChannelMessage(null, new AgentProtocol.Desired(v, null), null));
            assertThat(ChannelFloor.reported(v)).isEqualTo(jackson);
        }
    }
}
