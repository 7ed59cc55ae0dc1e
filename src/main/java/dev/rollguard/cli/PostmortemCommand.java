package dev.rollguard.cli;

import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "postmortem", description = "An incident's postmortem as Markdown (the saved one, or a draft from the facts): rollguard postmortem ID > pm.md")
public final class PostmortemCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", description = "Incident id")
    String id;

    @Option(names = "--fresh", description = "A new draft from the facts, ignoring a saved edit")
    boolean fresh;

    @Override
    public Integer call() {
        String md = server.client().getText("/api/v1/incidents/" + ApiClient.enc(id) + "/postmortem" + (fresh ? "?fresh=true" : ""));
        spec.commandLine().getOut().print(md);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
