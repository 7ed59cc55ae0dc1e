package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.validate.Fixer;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.versions.ConfigService;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "fix", description = {
        "Apply the suggested fixes to every occurrence in the tree and push the result as a new version.",
        "Either a stored version (--version N) or a local directory (PATH, left untouched)."})
public final class FixCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", arity = "0..1", description = "Local config tree to fix (it is not modified)")
    Path path;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Option(names = "--version", description = "Stored version to fix")
    Integer version;

    @Option(names = "--finding", description = "Only these finding ids (default: every finding with a fix)")
    List<String> findings;

    @Option(names = {"-m", "--message"}, description = "Message for the new version (default: what was replaced)")
    String message;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        if ((path == null) == (version == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either PATH or --version N");
        }
        ApiClient client = server.client();
        var out = spec.commandLine().getOut();
        if (version != null) {
            Map<String, Object> body = findings == null ? Map.of() : Map.of("findings", findings);
            JsonNode result = client.post("/api/v1/services/" + ApiClient.enc(service) + "/versions/" + version + "/fix", body);
            if (json) Output.json(out, result);
            else out.println("pushed " + service + " v" + result.path("version").path("number").asInt() + ": "
                    + result.path("version").path("message").asText());
            return 0;
        }
        client.requireReachable(); // before validating the tree locally, not after
        ConfigTree tree = LocalTree.load(spec.commandLine(), path, new Limits(Long.MAX_VALUE / 4, Integer.MAX_VALUE, Long.MAX_VALUE / 4));
        ValidationReport report = Validation.builtIn().run(tree, null, null);
        Fixer.Result fixed = Fixer.apply(tree, report.findings().stream()
                .filter(f -> findings == null || findings.contains(f.id())).toList());
        if (fixed.applied().isEmpty()) {
            spec.commandLine().getErr().println("rollguard: nothing to fix: no finding has a suggested fix");
            return 1;
        }
        if (!json) {
            for (Fixer.Applied a : fixed.applied()) {
                out.println("replaced '" + a.fix().from() + "' with '" + a.fix().to() + "': " + a.occurrences()
                        + " occurrence(s) in " + a.files() + " file(s)");
            }
        }
        String msg = message != null ? message : ConfigService.describe(fixed, 0).replaceFirst("^fix v0:", "fix:");
        return PushCommand.push(spec, client, service, fixed.tree(), msg, null, null, null, json);
    }
}
