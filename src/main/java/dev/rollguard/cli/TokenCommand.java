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

@Command(name = "token", description = "API tokens: create [--user U] [--name N] [--expires-days D] | list | revoke ID. A token is shown once.",
        subcommands = picocli.CommandLine.HelpCommand.class)
public final class TokenCommand {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Command(name = "create", description = "A new token for you (or, as an admin, for --user).")
    int create(@Option(names = "--user", description = "Whose token (admins only; default: yourself)") String user, @Option(names = "--name", defaultValue = "cli", description = "A name to tell tokens apart (default ${DEFAULT-VALUE})") String name,
               @Option(names = "--expires-days", description = "Days until the token expires (default: never)") Integer days, @Option(names = "--json", description = "Print JSON") boolean json) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (user != null) body.put("user", user);
        body.put("name", name);
        if (days != null) body.put("expiresInDays", days);
        JsonNode r = server.client().post("/api/v1/tokens", body);
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, r);
        else out.println(r.path("token").asText() + "\n(shown once; id " + r.path("info").path("id").asText() + ")");
        return 0;
    }

    @Command(name = "list", description = "Your tokens (an admin sees all).")
    int list(@Option(names = "--json", description = "Print JSON") boolean json) {
        JsonNode list = server.client().get("/api/v1/tokens");
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, list);
            return 0;
        }
        for (JsonNode t : list) {
            out.printf("%s  %-6s %-14s %-28s created %s%s%s%n", t.path("id").asText(), t.path("kind").asText().toLowerCase(),
                    t.path("user").isNull() ? t.path("service").asText() + "/" + t.path("env").asText() : t.path("user").asText(),
                    t.path("name").asText(), t.path("createdAt").asText(),
                    t.path("expiresAt").isNull() ? "" : ", expires " + t.path("expiresAt").asText(),
                    t.path("revokedAt").isNull() ? "" : ", REVOKED " + t.path("revokedAt").asText());
        }
        return 0;
    }

    @Command(name = "revoke", description = "Revoke a token by id.")
    int revoke(@Parameters(paramLabel = "ID", description = "The token's id (from rollguard token list)") String id) {
        server.client().delete("/api/v1/tokens/" + ApiClient.enc(id));
        spec.commandLine().getOut().println("revoked " + id);
        return 0;
    }
}
