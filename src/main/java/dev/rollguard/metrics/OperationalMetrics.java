package dev.rollguard.metrics;

import dev.rollguard.config.ServiceSpec;
import dev.rollguard.incident.Notifier;
import dev.rollguard.prometheus.PrometheusSource;
import dev.rollguard.rollout.HostInfo;
import dev.rollguard.rollout.PostedEvent;
import dev.rollguard.rollout.Rollout;
import dev.rollguard.rollout.RolloutEvent;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.versions.ConfigService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What operators graph about Rollguard itself, beside the HTTP timings: each service and environment's rollout
 * state and wave, the analysis decisions, the version each host runs ({@code rollguard_host_version_info}), webhook
 * deliveries by channel kind and outcome, and whether Prometheus as a health source answers. Gauges are read from
 * storage when scraped; counters count as things happen.
 */
public final class OperationalMetrics {
    private final MeterRegistry registry;
    private final ConfigService config;
    private final RolloutService rollouts;
    private final PrometheusSource prometheus;
    private final MultiGauge rolloutState;
    private final MultiGauge rolloutWave;
    private final MultiGauge hostVersion;
    private final MultiGauge prometheusUp;

    public OperationalMetrics(MeterRegistry registry, ConfigService config, RolloutService rollouts, Notifier notifier,
                              PrometheusSource prometheus) {
        this.registry = registry;
        this.config = config;
        this.rollouts = rollouts;
        this.prometheus = prometheus;
        rolloutState = MultiGauge.builder("rollguard.rollout.state")
                .description("1 for the state of the latest rollout of a service and environment").register(registry);
        rolloutWave = MultiGauge.builder("rollguard.rollout.wave")
                .description("the wave (1-based) the latest rollout of a service and environment is in or ended in").register(registry);
        hostVersion = MultiGauge.builder("rollguard.host.version.info")
                .description("1 for the config version each host reports as applied").register(registry);
        prometheusUp = MultiGauge.builder("rollguard.prometheus.up")
                .description("1 when every host's last Prometheus queries gave data, 0 when some gave none").register(registry);
        for (String result : List.of("pass", "fail", "continue", "no_data")) decisions(result);
        rollouts.onEvent(this::countDecision);
        notifier.countAttempts((kind, outcome) -> Counter.builder("rollguard.webhook.deliveries")
                .description("webhook delivery attempts by channel kind and outcome").tag("kind", kind.name().toLowerCase(Locale.ROOT))
                .tag("outcome", outcome).register(registry).increment());
    }

    private Counter decisions(String result) {
        return Counter.builder("rollguard.analysis.decisions")
                .description("canary analysis decisions recorded on rollout timelines, by result").tag("result", result).register(registry);
    }

    private void countDecision(PostedEvent posted) {
        if (posted.event() instanceof RolloutEvent.NoData) {
            decisions("no_data").increment();
        } else if (posted.event() instanceof RolloutEvent.AnalysisDecided a) {
            decisions(a.decision().verdict().name().toLowerCase(Locale.ROOT)).increment();
        }
    }

    /** Reads the gauges' current values; called before each scrape. */
    public synchronized void refresh() {
        List<MultiGauge.Row<?>> states = new ArrayList<>();
        List<MultiGauge.Row<?>> waves = new ArrayList<>();
        List<MultiGauge.Row<?>> versions = new ArrayList<>();
        List<MultiGauge.Row<?>> up = new ArrayList<>();
        for (String service : config.services()) {
            ServiceSpec spec = config.findService(service).orElse(null);
            if (spec == null) continue;
            for (String env : spec.environments()) {
                List<Rollout> latest = rollouts.rollouts(service, env, 1);
                if (!latest.isEmpty()) {
                    Rollout r = latest.get(0);
                    for (Rollout.State s : Rollout.State.values()) {
                        states.add(MultiGauge.Row.of(Tags.of("service", service, "env", env, "state", s.name().toLowerCase(Locale.ROOT)),
                                s == r.state() ? 1.0 : 0.0));
                    }
                    waves.add(MultiGauge.Row.of(Tags.of("service", service, "env", env), r.wave() + 1.0));
                }
                for (HostInfo h : rollouts.hosts(service, env)) {
                    if (h.appliedVersion() == null) continue;
                    versions.add(MultiGauge.Row.of(Tags.of("service", service, "env", env, "host", h.host(),
                            "version", h.appliedVersion().toString()), 1.0));
                }
                Boolean answering = prometheus.up(service, env);
                if (answering != null) up.add(MultiGauge.Row.of(Tags.of("service", service, "env", env), answering ? 1.0 : 0.0));
            }
        }
        rolloutState.register(states, true);
        rolloutWave.register(waves, true);
        hostVersion.register(versions, true);
        prometheusUp.register(up, true);
    }
}
