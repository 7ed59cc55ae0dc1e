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

@Command(name = "enrol", description = "An enrolment token for agents of one service and environment (one host with --host). Shown once.")
public final class EnrolCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service the agent may speak for")
    String service;

    @Option(names = {"-e", "--env"}, required = true, description = "The environment the agent may speak for")
    String env;

    @Option(names = "--host", description = "Only this host id may use it")
    String host;

    @Option(names = "--expires-days", description = "Days until the token expires (default: never)")
    Integer days;

    @Option(names = "--max-hosts", description = "Without --host: how many hosts the token may register (default 10)")
    Integer maxHosts;

    @Override
    public Integer call() {
        Map<String, Object> body = new LinkedHashMap<>();
        if (host != null) body.put("host", host);
        if (days != null) body.put("expiresInDays", days);
        if (maxHosts != null) body.put("maxHosts", maxHosts);
        JsonNode r = server.client().post("/api/v1/services/" + ApiClient.enc(service) + "/environments/" + ApiClient.enc(env) + "/enrolments", body);
        spec.commandLine().getOut().println(r.path("token").asText() + "\n(shown once; give it to the agent: rollguard agent --token ... or ROLLGUARD_AGENT_TOKEN)");
        return 0;
    }
}
