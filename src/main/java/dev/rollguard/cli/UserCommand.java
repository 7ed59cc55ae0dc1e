package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.Map;

@Command(name = "user", description = "People and CI accounts: list | add NAME | grant NAME --role R [--service S] | revoke NAME --role R [--service S] | disable NAME.",
        subcommands = picocli.CommandLine.HelpCommand.class)
public final class UserCommand {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Command(name = "list", description = "Users and their roles.")
    int list(@Option(names = "--json", description = "Print JSON") boolean json) {
        JsonNode users = server.client().get("/api/v1/users");
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, users);
            return 0;
        }
        for (JsonNode u : users) {
            StringBuilder roles = new StringBuilder();
            for (JsonNode r : u.path("roles")) roles.append(' ').append(r.path("role").asText().toLowerCase()).append('@').append(r.path("service").asText());
            out.println(u.path("name").asText() + (u.path("disabled").asBoolean() ? " (disabled)" : "") + " " + roles.toString().strip());
        }
        return 0;
    }

    @Command(name = "add", description = "Add a user (no roles yet).")
    int add(@Parameters(paramLabel = "NAME", description = "The user name") String name) {
        server.client().post("/api/v1/users", Map.of("name", name));
        spec.commandLine().getOut().println("added user " + name + "; grant a role: rollguard user grant " + name + " --role viewer --service S");
        return 0;
    }

    @Command(name = "grant", description = "Give a role (viewer, editor, releaser, approver, admin) on a service, or on every service (*).")
    int grant(@Parameters(paramLabel = "NAME", description = "The user name") String name, @Option(names = "--role", required = true, description = "viewer, editor, releaser, approver or admin") String role,
              @Option(names = {"-s", "--service"}, defaultValue = "*", description = "The service, or * for every service (default ${DEFAULT-VALUE})") String service) {
        server.client().put("/api/v1/users/" + ApiClient.enc(name) + "/roles", Map.of("service", service, "role", role));
        spec.commandLine().getOut().println(name + " is " + role.toLowerCase() + " on " + service);
        return 0;
    }

    @Command(name = "revoke", description = "Take a role back.")
    int revoke(@Parameters(paramLabel = "NAME", description = "The user name") String name, @Option(names = "--role", required = true, description = "viewer, editor, releaser, approver or admin") String role,
               @Option(names = {"-s", "--service"}, defaultValue = "*", description = "The service, or * for every service (default ${DEFAULT-VALUE})") String service) {
        server.client().delete("/api/v1/users/" + ApiClient.enc(name) + "/roles/" + ApiClient.enc(service) + "/" + ApiClient.enc(role));
        spec.commandLine().getOut().println(name + " is no longer " + role.toLowerCase() + " on " + service);
        return 0;
    }

    @Command(name = "disable", description = "Disable a user: every token and session of theirs stops working.")
    int disable(@Parameters(paramLabel = "NAME", description = "The user name") String name) {
        server.client().post("/api/v1/users/" + ApiClient.enc(name) + "/disable", Map.of());
        spec.commandLine().getOut().println("disabled " + name);
        return 0;
    }
}
