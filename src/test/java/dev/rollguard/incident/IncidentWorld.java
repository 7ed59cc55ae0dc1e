package dev.rollguard.incident;

import dev.rollguard.TestServer;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.Severity;
import dev.rollguard.net.Outgoing;
import dev.rollguard.rollout.RolloutWorld;

import java.nio.file.Path;
import java.util.List;

/** The incident slice over the rollout slice, on a SQLite file and a clock the test moves; no HTTP, no threads started. */
final class IncidentWorld implements AutoCloseable {
    static final IncidentSettings.Channel CHAT = new IncidentSettings.Channel("chat", IncidentSettings.Kind.GENERIC,
            "https://hooks.example.com/x", null, null, Severity.SEV3);

    final RolloutWorld rollouts;
    final IncidentStore store;
    final Notifier notifier;
    final IncidentService incidents;

    IncidentWorld(Path dir) {
        rollouts = new RolloutWorld(dir).service(new ServiceSpec(null, null, null, null,
                new IncidentSettings(5.0, 30, 20L, List.of(CHAT)), null, null, null), 2);
        store = new IncidentStore(rollouts.db.jdbi());
        notifier = new Notifier(store, rollouts.clock, new Outgoing(TestServer.LOOPBACK));
        incidents = new IncidentService(rollouts.db, rollouts.config, rollouts.rollouts, rollouts.health, store, notifier, rollouts.clock,
                () -> "http://rg.example");
    }

    @Override
    public void close() {
        incidents.close();
        rollouts.close();
    }
}
