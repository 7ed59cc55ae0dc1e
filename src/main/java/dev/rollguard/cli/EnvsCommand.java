package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "envs", description = "A service's environments in promotion order, with the released version.")
public final class EnvsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode envs = server.client().get("/api/v1/services/" + ApiClient.enc(service) + "/environments");
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, envs);
            return 0;
        }
        for (JsonNode e : envs) {
            out.printf("%-14s %s%n", e.path("name").asText(), e.path("releasedVersion").isNull() ? "-"
                    : "v" + e.path("releasedVersion").asInt() + "  since " + e.path("releasedAt").asText());
        }
        return 0;
    }
}
