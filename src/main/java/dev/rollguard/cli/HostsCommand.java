package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "hosts", description = "Hosts (agents) of an environment: applied and desired version, last heartbeat.")
public final class HostsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Option(names = {"-e", "--env"}, required = true, description = "The environment")
    String env;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode list = server.client().get("/api/v1/services/" + ApiClient.enc(service) + "/environments/" + ApiClient.enc(env) + "/hosts");
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, list);
            return 0;
        }
        for (JsonNode h : list) {
            out.printf("%-24s applied=%-5s desired=%-5s last seen %s%s%n", h.path("host").asText(),
                    h.path("appliedVersion").isNull() ? "-" : "v" + h.path("appliedVersion").asInt(),
                    h.path("desiredVersion").isNull() ? "-" : "v" + h.path("desiredVersion").asInt(), h.path("lastSeen").asText(),
                    h.path("applyError").isNull() ? "" : "  APPLY FAILED: " + h.path("applyError").asText());
        }
        return 0;
    }
}
