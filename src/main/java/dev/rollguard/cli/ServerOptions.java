package dev.rollguard.cli;

import dev.rollguard.client.ApiClient;
import picocli.CommandLine.Option;

/** Where the server is, and who is acting: shared by every command that talks to a server. */
public final class ServerOptions {
    @Option(names = "--server", scope = picocli.CommandLine.ScopeType.INHERIT, description = {"Server URL (env ROLLGUARD_SERVER), default:", "${DEFAULT-VALUE}"},
            defaultValue = "${env:ROLLGUARD_SERVER:-http://127.0.0.1:8080}")
    String server;

    @Option(names = "--actor", scope = picocli.CommandLine.ScopeType.INHERIT, description = "Who is acting (env ROLLGUARD_ACTOR; default: $USER)",
            defaultValue = "${env:ROLLGUARD_ACTOR:-${env:USER:-anonymous}}")
    String actor;

    @Option(names = "--token", scope = picocli.CommandLine.ScopeType.INHERIT, description = "API token (env ROLLGUARD_TOKEN)", defaultValue = "${env:ROLLGUARD_TOKEN}")
    String token;

    ApiClient client() {
        return new ApiClient(server, actor, token);
    }
}
