package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import dev.rollguard.versions.GitCommit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "versions", description = "List a service's versions, newest first.")
public final class VersionsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Option(names = "--limit", defaultValue = "50", description = "How many versions, newest first (default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode list = server.client().get("/api/v1/services/" + ApiClient.enc(service) + "/versions?limit=" + limit);
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, list);
            return 0;
        }
        for (JsonNode v : list) {
            StringBuilder flags = new StringBuilder();
            if (v.path("bad").asBoolean()) flags.append(" BAD");
            if (!v.path("breakGlass").isNull()) flags.append(" BREAK-GLASS");
            if (v.path("highRisk").asBoolean()) flags.append(" HIGH-RISK");
            GitCommit git = Output.git(v.path("git"));
            out.printf("v%-5d %-20s %-16s %3d errors %3d warnings%s  %s%s%n", v.path("number").asInt(),
                    v.path("createdAt").asText().replace('T', ' ').replaceAll("\\.\\d+Z$", "Z"), v.path("author").asText(),
                    v.path("errors").asInt(), v.path("warnings").asInt(), flags, v.path("message").asText(),
                    git == null ? "" : "  [" + git.describe() + "]");
        }
        return 0;
    }
}
