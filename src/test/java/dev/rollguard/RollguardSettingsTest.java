package dev.rollguard;

import dev.rollguard.auth.RateLimiter;
import dev.rollguard.config.Limits;
import dev.rollguard.net.OutgoingPolicy;
import dev.rollguard.validate.CommandValidators;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The server's settings: each wither changes its own field and keeps every other. */
class RollguardSettingsTest {
    @Test
    void eachWitherChangesItsFieldOnly() {
        Rollguard.Settings d = Rollguard.Settings.defaults();
        assertThat(d).isEqualTo(new Rollguard.Settings("data/rollguard.db", "127.0.0.1", 8080, Limits.DEFAULT, 2 * Limits.DEFAULT.maxTreeBytes(),
                Duration.ofMillis(200), null, null, CommandValidators.none(), OutgoingPolicy.PUBLIC_ONLY, false, null, 0,
                RateLimiter.Rate.WRITES, Duration.ofSeconds(10), 8081, null));
        CommandValidators validators = CommandValidators.none();
        OutgoingPolicy loopback = OutgoingPolicy.parse("loopback");
        Rollguard.Settings all = d.withDatabase("x.db").withHost("0.0.0.0").withPort(9).withLimits(Limits.DEFAULT).withMaxBodyBytes(42)
                .withPublicUrl("https://rg.example").withBootstrapToken("tok").withValidators(validators).withOutgoing(loopback)
                .startingWithoutSandbox(true).withKeyDir(Path.of("/keys")).withSandboxMemory(7)
                .withWriteRate(new RateLimiter.Rate(1, 2)).withDatabaseWait(Duration.ofMillis(250)).withChannelPort(-1)
                .withChannelUrl("wss://rg.example:9443");
        assertThat(all).isEqualTo(new Rollguard.Settings("x.db", "0.0.0.0", 9, Limits.DEFAULT, 42, Duration.ofMillis(200), "https://rg.example",
                "tok", validators, loopback, true, Path.of("/keys"), 7, new RateLimiter.Rate(1, 2),
                Duration.ofMillis(250), -1, "wss://rg.example:9443"));
        assertThat(d.withPort(9)).isEqualTo(new Rollguard.Settings(d.database(), d.host(), 9, d.limits(), d.maxBodyBytes(), d.tick(),
                d.publicUrl(), d.bootstrapToken(), d.validators(), d.outgoing(), d.withoutSandbox(), d.keyDir(), d.sandboxMemory(),
                d.writeRate(), d.databaseWait(), d.channelPort(), d.channelUrl()));
        assertThat(d.withKeyDir(null).withBootstrapToken(null)).isEqualTo(d);
    }
}
