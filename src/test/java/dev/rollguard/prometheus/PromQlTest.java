package dev.rollguard.prometheus;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.PrometheusSettings;
import dev.rollguard.config.ServiceSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromQlTest {
    @Test
    void templatesAreFilledWithEscapedValues() {
        String q = "sum(rate(apache_requests_total{host=\"$host\",env=\"${env}\",v=\"$version\",code=~\"5..\"}[30s]))";
        assertThat(PromQl.fill(q, Map.of("host", "web-1", "env", "production", "version", "7")))
                .isEqualTo("sum(rate(apache_requests_total{host=\"web-1\",env=\"production\",v=\"7\",code=~\"5..\"}[30s]))");
        // a quote in a host name cannot end the matcher and inject PromQL
        assertThat(PromQl.fill("x{host=\"$host\"}", Map.of("host", "a\"} or vector(1) #\\")))
                .isEqualTo("x{host=\"a\\\"} or vector(1) #\\\\\"}");
        assertThat(PromQl.fill("x{a=\"$unknown\"}", Map.of())).isEqualTo("x{a=\"$unknown\"}");
    }

    @Test
    void answersAreOneNumberOrAClearNoData() throws Exception {
        assertThat(PromQl.read(Json.MAPPER.readTree("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                + "[{\"metric\":{},\"value\":[1700000000.1,\"2.5\"]}]}}"))).isEqualTo(new PromQl.Value(2.5));
        assertThat(PromQl.read(Json.MAPPER.readTree("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"4\"]}}")))
                .isEqualTo(new PromQl.Value(4));
        assertThat(PromQl.read(Json.MAPPER.readTree("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}")))
                .isEqualTo(new PromQl.NoData("the query returned no series"));
        assertThat(PromQl.read(Json.MAPPER.readTree("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                + "[{\"value\":[1,\"1\"]},{\"value\":[1,\"2\"]}]}}"))).isInstanceOf(PromQl.NoData.class);
        assertThat(PromQl.read(Json.MAPPER.readTree("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}")))
                .isEqualTo(new PromQl.NoData("query failed: bad_data: parse error"));
        assertThat(((PromQl.Value) PromQl.read(Json.MAPPER.readTree("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                + "\"result\":[{\"value\":[1,\"NaN\"]}]}}"))).value()).isNaN();
    }

    @Test
    void theLookBackOfAQueryBoundsTheBakeOfEveryWave() {
        assertThat(PrometheusSettings.longestRange("sum(rate(x[30s])) / sum(rate(y[1m30s:5s]))")).isEqualTo(Duration.ofSeconds(90));
        assertThat(PrometheusSettings.longestRange("sum(x)")).isEqualTo(Duration.ZERO);
        PrometheusSettings p = new PrometheusSettings("http://prom:9090/", "sum(rate(x[30s]))", "sum(rate(y[30s]))", null, 5, 2);
        assertThat(p.url()).isEqualTo("http://prom:9090");
        assertThat(p.minimumBakeSeconds()).isEqualTo(30 + 10 + 2);
        // the default waves bake 30 s: too short to see a 30 s rate of the canary's own traffic
        assertThatThrownBy(() -> new ServiceSpec(null, null, null, null, null, null, p, null, null))
                .isInstanceOf(Problem.class).hasMessageContaining("bakeSeconds >= 42");
        assertThatThrownBy(() -> new PrometheusSettings("ftp://x", "a", "b", null, null, null)).isInstanceOf(Problem.class);
        assertThatThrownBy(() -> new PrometheusSettings("http://x", "a", null, null, null, null)).hasMessageContaining("prometheus.errors");
    }
}
