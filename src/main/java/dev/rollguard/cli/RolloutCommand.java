package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "rollout", description = "Show or steer one rollout: show | pause | resume | abort | rollback.")
public final class RolloutCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", description = "show, pause, resume, abort or rollback")
    String action;

    @Parameters(index = "1", description = "Rollout id")
    String id;

    @Option(names = "--reason", description = "Why (for rollback)")
    String reason;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        ApiClient client = server.client();
        JsonNode r;
        switch (action) {
            case "show" -> r = client.get("/api/v1/rollouts/" + ApiClient.enc(id));
            case "pause", "resume", "abort", "rollback" -> {
                Map<String, Object> body = new LinkedHashMap<>();
                if (reason != null) body.put("reason", reason);
                r = client.post("/api/v1/rollouts/" + ApiClient.enc(id) + "/" + action, body);
            }
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "unknown action '" + action + "' (show, pause, resume, abort, rollback)");
        }
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, r);
            return 0;
        }
        out.println(describe(r));
        for (JsonNode e : r.path("events")) {
            out.println("  " + e.path("at").asText() + "  " + e.path("type").asText() + ": " + e.path("message").asText());
        }
        return 0;
    }

    static String describe(JsonNode r) {
        StringBuilder sb = new StringBuilder("rollout ").append(r.path("id").asText()).append(": ")
                .append(r.path("service").asText()).append(' ')
                .append(r.path("fromVersion").isNull() ? "none" : "v" + r.path("fromVersion").asInt())
                .append(" -> v").append(r.path("toVersion").asInt()).append(" in ").append(r.path("env").asText())
                .append(", ").append(r.path("state").asText()).append(", wave ").append(r.path("wave").asInt()).append('/')
                .append(r.path("waves").asInt()).append(", ").append(r.path("hosts").asInt()).append(" host(s)");
        if (!r.path("breakGlass").isNull()) sb.append(", BREAK-GLASS: ").append(r.path("breakGlass").asText());
        if (!r.path("reason").isNull()) sb.append(" — ").append(r.path("reason").asText());
        return sb.toString();
    }
}
