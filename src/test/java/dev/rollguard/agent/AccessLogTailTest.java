package dev.rollguard.agent;

import dev.rollguard.protocol.HealthSample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLogTailTest {
    @TempDir
    Path dir;

    private static String line(int status, long micros) {
        return "127.0.0.1 - - [24/Nov/2026:05:45:00 +0000] \"GET /index.php HTTP/1.1\" " + status
                + " 512 \"-\" \"curl/8.0 \\\"quoted\\\"\" " + micros + "\n";
    }

    @Test
    void countsStatusesAndLatencyAndSurvivesRotation() throws Exception {
        Path log = dir.resolve("access.log");
        Files.writeString(log, line(200, 1000));
        HealthWindow w = new HealthWindow(Instant.now());
        AccessLogTail tail = new AccessLogTail(log, w, true);
        try {
            Files.writeString(log, line(200, 2000) + line(500, 3000) + "garbage line\n" + line(503, 4000), StandardOpenOption.APPEND);
            tail.poll();
            HealthSample s = w.drain(Instant.now(), 1);
            assertThat(s.requests()).as("the line before the start is not counted").isEqualTo(3);
            assertThat(s.errors()).isEqualTo(2);
            assertThat(s.p99Millis()).isEqualTo(4.0);

            // logrotate: rename, new file with fewer bytes than the old position
            Files.move(log, dir.resolve("access.log.1"));
            Files.writeString(log, line(500, 100));
            tail.poll();
            Files.writeString(log, "127.0.0.1 - - [24/Nov/2026:05:45:00 +0000] \"GET / HTTP/1.1\" 200 5", StandardOpenOption.APPEND);
            tail.poll();
            HealthSample after = w.drain(Instant.now(), 1);
            assertThat(after.requests()).as("half a line waits for its newline").isEqualTo(1);
            assertThat(after.errors()).isEqualTo(1);
            Files.writeString(log, "\n", StandardOpenOption.APPEND);
            tail.poll();
            assertThat(w.drain(Instant.now(), 1).requests()).isEqualTo(1);
        } finally {
            tail.close();
        }
    }
}
