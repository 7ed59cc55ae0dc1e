package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.Map;

@Command(name = "secrets", description = "The key ring that seals secrets at rest: status (key ids) | rotate-key.",
        subcommands = HelpCommand.class)
public final class SecretsCommand {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Command(name = "status", description = "The current key's id, every key id of the ring and where it lives (never a key).")
    int status(@Option(names = "--json", description = "Print JSON") boolean json) {
        JsonNode s = server.client().get("/api/v1/secrets");
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, s);
        else out.println("current key " + s.path("currentKey").asText() + " of " + s.path("keys").size() + " (" + s.path("source").asText() + ")");
        return 0;
    }

    @Command(name = "rotate-key", description = "A new current key in the ring's file (old keys stay to open), then everything sealed is sealed again with it.")
    int rotate(@Option(names = "--json", description = "Print JSON") boolean json) {
        JsonNode r = server.client().post("/api/v1/secrets/rotate-key", Map.of());
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, r);
        } else {
            out.println("new current key " + r.path("keyId").asText() + "; sealed again: " + r.path("resealed"));
            out.println("back up the key file now: backups made from here on need the new key");
        }
        return 0;
    }
}
