package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "incidents", description = "Incidents, newest first.")
public final class IncidentsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, description = "Only this service")
    String service;

    @Option(names = "--status", description = "open, mitigated or resolved")
    String status;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        List<String> q = new ArrayList<>();
        if (service != null) q.add("service=" + ApiClient.enc(service));
        if (status != null) q.add("status=" + ApiClient.enc(status));
        JsonNode list = server.client().get("/api/v1/incidents" + (q.isEmpty() ? "" : "?" + String.join("&", q)));
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, list);
            return 0;
        }
        if (list.isEmpty()) out.println("no incidents");
        for (JsonNode i : list) out.println(describe(i));
        return 0;
    }

    static String describe(JsonNode i) {
        StringBuilder sb = new StringBuilder("#").append(i.path("id").asInt()).append("  ").append(i.path("severity").asText())
                .append("  ").append(String.format("%-9s", i.path("status").asText().toLowerCase())).append("  ")
                .append(i.path("service").asText()).append(i.path("env").isNull() ? "" : "/" + i.path("env").asText()).append("  ")
                .append(i.path("openedAt").asText()).append("  ").append(i.path("title").asText());
        JsonNode im = i.path("impact");
        if (im.isObject() && im.path("requestsTotal").asLong() > 0) {
            sb.append("\n      impact: ").append(im.path("requestsFailed").asLong()).append(" of ").append(im.path("requestsTotal").asLong())
                    .append(" requests failed, peak ").append(im.path("peakPercent").asDouble()).append("%, ")
                    .append(im.path("hostsAffected").asInt()).append('/').append(im.path("hostsTotal").asInt()).append(" hosts");
            if (!im.path("timeToDetectMillis").isNull()) sb.append(", detect ").append(im.path("timeToDetectMillis").asLong()).append(" ms");
            if (!im.path("timeToMitigateMillis").isNull()) sb.append(", mitigate ").append(im.path("timeToMitigateMillis").asLong()).append(" ms");
            if (!im.path("timeToRecoverMillis").isNull()) sb.append(", recover ").append(im.path("timeToRecoverMillis").asLong()).append(" ms");
        }
        return sb.toString();
    }
}
