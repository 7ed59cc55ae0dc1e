package dev.rollguard.cli;

import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "diff", description = "Unified diff between two versions of a service.")
public final class DiffCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Option(names = {"-s", "--service"}, required = true, description = "The service")
    String service;

    @Parameters(index = "0", description = "From version")
    int from;

    @Parameters(index = "1", description = "To version")
    int to;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        String path = "/api/v1/services/" + ApiClient.enc(service) + "/diff?from=" + from + "&to=" + to;
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, server.client().get(path));
        else out.print(server.client().getText(path + "&format=unified"));
        out.flush();
        return 0;
    }
}
