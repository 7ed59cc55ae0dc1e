package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "rollouts", description = "A service's rollouts, newest first.")
public final class RolloutsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Option(names = {"-e", "--env"}, description = "Only this environment (default: all)")
    String env;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode list = server.client().get("/api/v1/services/" + ApiClient.enc(service) + "/rollouts"
                + (env == null ? "" : "?env=" + ApiClient.enc(env)));
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, list);
        else for (JsonNode r : list) out.println(RolloutCommand.describe(r));
        return 0;
    }
}
