package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.client.ApiClient;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.versions.GitCommit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "show", description = "Show one version: metadata and validation findings.")
public final class ShowCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Parameters(index = "0", description = "Version number")
    int version;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode v = server.client().get("/api/v1/services/" + ApiClient.enc(service) + "/versions/" + version);
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, v);
            return 0;
        }
        JsonNode info = v.path("version");
        out.println(service + " v" + info.path("number").asInt() + " by " + info.path("author").asText() + " at "
                + info.path("createdAt").asText() + " (parent " + (info.path("parent").isNull() ? "-" : "v" + info.path("parent").asInt()) + ")");
        out.println("  " + info.path("message").asText());
        GitCommit git = Output.git(info.path("git"));
        if (git != null) out.println("  v" + info.path("number").asInt() + " = " + git.describe() + " (" + git.commit() + ")");
        out.println("  files: " + info.path("fileCount").asInt() + ", tree " + info.path("treeHash").asText().substring(0, 12));
        if (!info.path("breakGlass").isNull()) out.println("  BREAK-GLASS: " + info.path("breakGlass").asText());
        if (info.path("bad").asBoolean()) out.println("  BAD: " + info.path("badReason").asText());
        Output.report(out, spec.commandLine().getErr(), Json.MAPPER.convertValue(info.path("report"), ValidationReport.class),
                info.path("fileCount").asInt());
        return 0;
    }
}
