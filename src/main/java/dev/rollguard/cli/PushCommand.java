package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.client.ApiClient;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.validate.ValidationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "push", description = "Push a config tree as a new version. Refused (exit 1) when validators find errors.")
public final class PushCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", description = "Directory holding the config tree")
    Path path;

    @Option(names = {"-s", "--service"}, required = true, description = "Service name")
    String service;

    @Option(names = {"-m", "--message"}, required = true, description = "What changed and why")
    String message;

    @Option(names = "--parent", description = "Version this change is based on (default: the latest)")
    Integer parent;

    @Option(names = "--break-glass", paramLabel = "REASON", description = "Store despite error findings; the reason is recorded")
    String breakGlass;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        ConfigTree tree = TreeLoader.load(path, new Limits(Long.MAX_VALUE / 4, Integer.MAX_VALUE, Long.MAX_VALUE / 4));
        return push(spec, server.client(), service, tree.files(), message, parent, breakGlass, json);
    }

    static int push(picocli.CommandLine.Model.CommandSpec spec, ApiClient client, String service, Map<String, String> files,
                    String message, Integer parent, String breakGlass, boolean json) {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("files", files);
        body.put("message", message);
        if (parent != null) body.put("parent", parent);
        if (breakGlass != null) body.put("breakGlass", breakGlass);
        try {
            JsonNode result = client.post("/api/v1/services/" + ApiClient.enc(service) + "/versions", body);
            if (json) {
                Output.json(out, result);
            } else {
                JsonNode v = result.path("version");
                ValidationReport report = Json.MAPPER.convertValue(result.path("report"), ValidationReport.class);
                Output.report(out, spec.commandLine().getErr(), report, v.path("fileCount").asInt());
                out.println("pushed " + service + " v" + v.path("number").asInt()
                        + (v.path("breakGlass").isNull() ? "" : " (BREAK-GLASS: " + v.path("breakGlass").asText() + ")")
                        + (v.path("highRisk").asBoolean() ? " [high-risk: needs a second approver for production]" : ""));
            }
            return 0;
        } catch (ApiClient.ApiException e) {
            if (!"validation_failed".equals(e.code())) throw e;
            ValidationReport report = Json.MAPPER.convertValue(e.error().path("report"), ValidationReport.class);
            if (json) {
                Output.json(out, Map.of("refused", true, "code", e.code(), "message", e.getMessage(), "report", report));
            } else {
                Output.report(out, spec.commandLine().getErr(), report, files.size());
                out.println("refused: " + e.getMessage() + " (fix it: rollguard fix PATH --service " + service
                        + ", or bypass with --break-glass REASON)");
            }
            return 1;
        }
    }
}
