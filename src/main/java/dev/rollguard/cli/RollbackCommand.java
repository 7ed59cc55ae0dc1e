package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "rollback", description = "Roll an environment back at once: every host to the previous version, the version marked bad.")
public final class RollbackCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Option(names = {"-e", "--env"}, required = true, description = "The environment to roll back")
    String env;

    @Option(names = "--reason", description = "Why, recorded with the rollback and on the version marked bad")
    String reason;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        Map<String, Object> body = new LinkedHashMap<>();
        if (reason != null) body.put("reason", reason);
        JsonNode r = server.client().post("/api/v1/services/" + ApiClient.enc(service) + "/environments/" + ApiClient.enc(env)
                + "/rollback", body);
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, r);
        else out.println(RolloutCommand.describe(r));
        return 0;
    }
}
