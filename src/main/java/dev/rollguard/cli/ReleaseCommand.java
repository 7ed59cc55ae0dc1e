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

@Command(name = "release", description = "Release a version to an environment: a staged rollout in waves; promotion order and bake are enforced.")
public final class ReleaseCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true)
    String service;

    @Option(names = {"-e", "--env"}, required = true)
    String env;

    @Option(names = "--version", required = true)
    int version;

    @Option(names = "--break-glass", paramLabel = "REASON", description = "Skip the promotion order; the reason is recorded")
    String breakGlass;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", version);
        if (breakGlass != null) body.put("breakGlass", breakGlass);
        JsonNode r = server.client().post("/api/v1/services/" + ApiClient.enc(service) + "/environments/"
                + ApiClient.enc(env) + "/release", body);
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, r);
        else out.println(RolloutCommand.describe(r));
        return 0;
    }
}
