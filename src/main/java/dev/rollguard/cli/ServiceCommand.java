package dev.rollguard.cli;

import dev.rollguard.client.ApiClient;
import dev.rollguard.config.ServiceSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "service", description = "Create or update a service from a spec file (YAML or JSON).")
public final class ServiceCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", description = "Service name")
    String name;

    @Option(names = "--spec", description = "Service spec file")
    Path specFile;

    @Option(names = "--env", split = ",", description = "Environments in promotion order (default testing,production)")
    List<String> environments;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        ServiceSpec s = ValidateCommand.SpecFiles.load(specFile);
        if (environments != null) s = s.withEnvironments(environments);
        var result = server.client().put("/api/v1/services/" + ApiClient.enc(name), s);
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, result);
        else out.println("service " + name + " saved; environments: " + String.join(" -> ", s.environments()));
        return 0;
    }
}
