package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "services", description = "List services and what is released where.")
public final class ServicesCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode list = server.client().get("/api/v1/services");
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, list);
            return 0;
        }
        for (JsonNode s : list) {
            StringBuilder sb = new StringBuilder(s.path("name").asText());
            for (JsonNode e : s.path("environments")) {
                sb.append("  ").append(e.path("name").asText()).append('=')
                        .append(e.path("releasedVersion").isNull() ? "-" : "v" + e.path("releasedVersion").asInt());
            }
            out.println(sb);
        }
        return 0;
    }
}
