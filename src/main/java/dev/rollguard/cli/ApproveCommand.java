package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "approve", description = "Approve a high-risk version for production (you must not be its author).")
public final class ApproveCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Parameters(index = "0", paramLabel = "VERSION", description = "The high-risk version to approve")
    int version;

    @Option(names = "--comment", description = "Why, for the audit log")
    String comment;

    @Override
    public Integer call() {
        Map<String, Object> body = new LinkedHashMap<>();
        if (comment != null) body.put("comment", comment);
        JsonNode r = server.client().post("/api/v1/services/" + ApiClient.enc(service) + "/versions/" + version + "/approve", body);
        spec.commandLine().getOut().println(service + " v" + version + " approved by " + r.path("approvers"));
        return 0;
    }
}
