package dev.rollguard.prometheus;

import dev.rollguard.net.EndlessAnswer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 25 item 1: whatever answers at the Prometheus URL, the client reads a bounded amount in a bounded time. */
class PrometheusAnswerTest {
    @Test
    void anEndlessAnswerIsNoDataAfterTheCap() throws Exception {
        try (EndlessAnswer endless = new EndlessAnswer(200, 0)) {
            PromQl.Result r = new PrometheusClient().query(endless.url(), "up", Duration.ofMinutes(5)).get(2, TimeUnit.MINUTES);
            assertThat(r).isInstanceOf(PromQl.NoData.class);
            assertThat(((PromQl.NoData) r).reason()).contains("answered more than 2 MiB");
        }
    }

    @Test
    void aTricklingAnswerEndsAtTheQueryTimeout() throws Exception {
        try (EndlessAnswer trickle = new EndlessAnswer(200, 200)) {
            PromQl.Result r = new PrometheusClient().query(trickle.url(), "up", Duration.ofSeconds(1)).get(2, TimeUnit.MINUTES);
            assertThat(r).isInstanceOf(PromQl.NoData.class);
            assertThat(((PromQl.NoData) r).reason()).contains("did not answer");
        }
    }
}
