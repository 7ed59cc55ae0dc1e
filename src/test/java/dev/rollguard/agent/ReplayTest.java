package dev.rollguard.agent;

import dev.rollguard.agent.Replay.Answer;
import dev.rollguard.agent.Replay.Verdict;
import dev.rollguard.protocol.AgentProtocol.ReplayBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Preflight replay's pure parts: the sample of requests, the verdict on two answers, and the noise Diffy's way. */
class ReplayTest {
    private static Answer ok(String body) { return new Answer(200, body.getBytes(StandardCharsets.UTF_8)); }

    private static Supplier<Answer> never() {
        return () -> { throw new AssertionError("the control is asked again only when bodies differ in BODY mode"); };
    }

    @Test
    void aCandidateThatFailsWhereTheControlServedIsWorse() {
        assertThat(Replay.judge(ok("hi"), new Answer(500, new byte[0]), never(), ReplayBlock.STATUS)).isInstanceOf(Verdict.Worse.class);
        assertThat(Replay.judge(ok("hi"), new Answer(403, new byte[0]), never(), ReplayBlock.STATUS)).isInstanceOf(Verdict.Worse.class);
        assertThat(Replay.judge(ok("hi"), Answer.NONE, never(), ReplayBlock.STATUS)).isInstanceOf(Verdict.Worse.class);
        assertThat(Replay.judge(new Answer(301, new byte[0]), new Answer(404, new byte[0]), never(), ReplayBlock.STATUS))
                .isInstanceOf(Verdict.Worse.class);
    }

    @Test
    void whatTheControlDoesNotServeIsNoEvidence() {
        assertThat(Replay.judge(new Answer(404, new byte[0]), new Answer(500, new byte[0]), never(), ReplayBlock.BODY))
                .isInstanceOf(Verdict.Same.class);
        assertThat(Replay.judge(Answer.NONE, Answer.NONE, never(), ReplayBlock.BODY)).isInstanceOf(Verdict.Same.class);
    }

    @Test
    void statusModeIgnoresBodiesAndBodyModeAsksTheControlAgainOnlyWhenTheyDiffer() {
        assertThat(Replay.judge(ok("a"), ok("b"), never(), ReplayBlock.STATUS)).isInstanceOf(Verdict.Same.class);
        assertThat(Replay.judge(ok("same"), ok("same"), never(), ReplayBlock.BODY)).isInstanceOf(Verdict.Same.class);
        AtomicInteger asked = new AtomicInteger();
        Verdict v = Replay.judge(ok("<p>Welcome</p>"), ok("<p>Fatal error</p>"), () -> {
            asked.incrementAndGet();
            return ok("<p>Welcome</p>");
        }, ReplayBlock.BODY);
        assertThat(v).isInstanceOf(Verdict.Worse.class);
        assertThat(asked).hasValue(1);
    }

    @Test
    void aNonceThatChangesBetweenTwoControlAnswersIsNoise() {
        String a = "<form><input name=\"_wpnonce\" value=\"a81f0c22\"><p>Log in</p><footer>12:00:01</footer></form>";
        String b = "<form><input name=\"_wpnonce\" value=\"77e1d9b0\"><p>Log in</p><footer>12:00:02</footer></form>";
        String sameButNewNonce = "<form><input name=\"_wpnonce\" value=\"0c0ffee1\"><p>Log in</p><footer>12:00:03</footer></form>";
        String broken = "<form><input name=\"_wpnonce\" value=\"0c0ffee1\"><p>Warning: include(x.php): Failed</p><footer>12:00:03</footer></form>";
        String shorter = "<form><input name=\"_wpnonce\" value=\"0c0ffee1\"></form>";
        assertThat(Replay.bodyBeyondNoise(a, b, sameButNewNonce)).isFalse();
        assertThat(Replay.bodyBeyondNoise(a, b, broken)).isTrue();
        assertThat(Replay.bodyBeyondNoise(a, b, shorter)).isTrue();
        assertThat(Replay.bodyBeyondNoise(a, a, sameButNewNonce)).as("no noise seen: any change counts").isTrue();
    }

    @Test
    void theAnswerIsParsedFromTheRawBytes() {
        Answer a = Replay.parse("HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n<h1>nope</h1>".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(a.status()).isEqualTo(404);
        assertThat(new String(a.body(), StandardCharsets.UTF_8)).isEqualTo("<h1>nope</h1>");
        assertThat(Replay.parse("garbage".getBytes(StandardCharsets.ISO_8859_1))).isEqualTo(Answer.NONE);
    }

    @Test
    void theSetKeepsOneRequestPerRouteSpreadOverRoutesNotTraffic() {
        ReplaySet set = new ReplaySet(3);
        set.offer("GET", null, "/rare-page", 200);
        for (int i = 0; i < 1000; i++) set.offer("GET", null, "/?p=" + (i % 7), 200);
        set.offer("POST", null, "/wp-login.php", 200);
        set.offer("GET", null, "/broken-for-users", 500);
        set.offer("GET", null, "/gone", 404);
        set.offer("GET", "blog.example.org", "/", 200);
        List<ReplaySet.Request> s = set.snapshot(10);
        assertThat(s).extracting(ReplaySet.Request::target).containsExactly("/", "/?p=5", "/rare-page");
        assertThat(s.get(0).vhost()).isEqualTo("blog.example.org");
        assertThat(set.snapshot(1)).hasSize(1);
        // a fourth route pushes out the least recently seen one
        set.offer("HEAD", null, "/feed", 302);
        assertThat(set.snapshot(10)).extracting(ReplaySet.Request::target).containsExactly("/feed", "/", "/?p=5");
    }

    @Test
    void theAccessLogFeedsTheSetWithTheVirtualHostOfVhostCombined(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("access.log");
        Files.writeString(log, "");
        ReplaySet set = new ReplaySet(100);
        AccessLogTail tail = new AccessLogTail(log, new HealthWindow(Instant.now()), set, true);
        try {
            Files.writeString(log, String.join("\n",
                    "blog.example.org:443 10.0.0.1 - - [24/Nov/2026:05:45:00 +0000] \"GET /wp-login.php?redirect_to=x HTTP/1.1\" 200 512 \"-\" \"curl\"",
                    "10.0.0.2 - - [24/Nov/2026:05:45:01 +0000] \"GET /feed/ HTTP/1.1\" 200 99 \"-\" \"curl\" 1234",
                    "10.0.0.2 - - [24/Nov/2026:05:45:01 +0000] \"POST /wp-comments-post.php HTTP/1.1\" 302 0 \"-\" \"curl\"",
                    "10.0.0.2 - - [24/Nov/2026:05:45:01 +0000] \"GET /a\\\"b HTTP/1.1\" 200 0 \"-\" \"curl\"", ""));
            tail.poll();
        } finally {
            tail.close();
        }
        assertThat(set.snapshot(10)).containsExactly(new ReplaySet.Request("GET", null, "/feed/"),
                new ReplaySet.Request("GET", "blog.example.org", "/wp-login.php?redirect_to=x"));
    }
}
