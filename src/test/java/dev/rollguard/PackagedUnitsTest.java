package dev.rollguard;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 25 (packaging): systemd's own measure of the packaged units' exposure, offline (no running systemd needed):
 * the agent runs as root and scored 8.0 "EXPOSED"; both units stay at 5.0 or better. The server package depends on
 * bubblewrap, and the agent's postinst leaves an existing /var/lib/rollguard (the server's, 0750) as it is.
 */
class PackagedUnitsTest {
    @Test
    void bothUnitsAreHardened() throws Exception {
        Parts.need("SYSTEMD", Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze is not installed (apt-get install systemd)");
        for (String unit : List.of("src/deb/agent/rollguard-agent.service", "src/deb/server/rollguard-server.service")) {
            Process p = new ProcessBuilder("systemd-analyze", "security", "--offline=true", "--threshold=50", unit).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as(unit + ":\n" + out.lines().filter(l -> l.contains("Overall")).findFirst().orElse(out)).isZero();
        }
        assertThat(Files.readString(Path.of("src/deb/agent/rollguard-agent.service"))).contains("UMask=0022");
    }

    @Test
    void theServerNeedsBubblewrapAndTheAgentKeepsTheServersDirectory() throws Exception {
        assertThat(Files.readString(Path.of("src/deb/server/control/control"))).containsPattern("(?m)^Depends:.*\\bbubblewrap\\b");
        String postinst = Files.readString(Path.of("src/deb/agent/control/postinst"));
        assertThat(postinst.lines().filter(l -> l.contains("install -d")))
                .allSatisfy(l -> assertThat(l).startsWith("    [ -d "));
    }
}
