package dev.rollguard.incident;

import dev.rollguard.TestServer;
import dev.rollguard.config.Severity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The monitor lists the open incidents, then follows each one; a person may resolve one in between. What the monitor then
 * writes must never be its older copy: a resolved incident stays resolved (CliTest saw "incident resolve" succeed twice
 * on a busy machine: the monitor had written the incident back as open).
 */
class IncidentMonitorRaceTest {
    private TestServer ts;

    @AfterEach
    void stop() {
        if (ts != null) ts.close();
    }

    @Test
    void aResolvedIncidentStaysResolvedWhileTheMonitorRuns() throws Exception {
        ts = new TestServer();
        assertThat(ts.send("PUT", "/api/v1/services/wp", "{}").status()).isEqualTo(200);
        IncidentService incidents = ts.server.incidents();
        AtomicBoolean done = new AtomicBoolean();
        // the monitor's own passes, back to back, beside the server's scheduled ones
        Thread monitor = new Thread(() -> {
            while (!done.get()) incidents.monitor();
        }, "test-monitor");
        monitor.start();
        List<Integer> ids = new ArrayList<>();
        try {
            for (int n = 0; n < 150; n++) {
                Incident i = incidents.open("wp", "production", "checkout down " + n, Severity.SEV2, null, "admin");
                ids.add(i.id());
                incidents.resolve(i.id(), "admin", "fixed");
            }
        } finally {
            done.set(true);
            monitor.join();
        }
        incidents.monitor();
        for (int id : ids) assertThat(incidents.incident(id).status()).as("incident #" + id).isEqualTo(Incident.Status.RESOLVED);
    }
}
