package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "audit", description = "The audit log: verify (recompute the hash chain) | export (JSON lines) | list.",
        subcommands = picocli.CommandLine.HelpCommand.class)
public final class AuditCommand {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Command(name = "verify", description = "Exit 0 if the chain is intact, 1 if a record was edited or removed.")
    int verify(@Option(names = "--json", description = "Print JSON") boolean json) {
        JsonNode v = server.client().get("/api/v1/audit/verify");
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, v);
        else if (v.path("ok").asBoolean()) out.println("audit log intact: " + v.path("records").asLong() + " record(s), head " + v.path("headHash").asText());
        else spec.commandLine().getErr().println("audit log TAMPERED: " + v.path("problem").asText());
        return v.path("ok").asBoolean() ? 0 : 1;
    }

    @Command(name = "export", description = "Every record as JSON lines (pipe to a file or a SIEM).")
    int export(@Option(names = "--after", defaultValue = "0", description = "Only records after this sequence number (default ${DEFAULT-VALUE}: all)") long after) {
        var out = spec.commandLine().getOut();
        long from = after;
        while (true) {
            String page = server.client().getText("/api/v1/audit?format=jsonl&limit=10000&after=" + from);
            if (page.isEmpty()) break;
            out.print(page);
            String[] lines = page.split("\n");
            from = Json.read(lines[lines.length - 1], JsonNode.class).path("seq").asLong();
            if (lines.length < 10000) break;
        }
        out.flush();
        return 0;
    }

    @Command(name = "list", description = "The last records.")
    int list(@Option(names = "--json", description = "Print JSON") boolean json, @Option(names = "--limit", defaultValue = "50", description = "How many records, newest first (default ${DEFAULT-VALUE})") int limit) {
        JsonNode v = server.client().get("/api/v1/audit/verify");
        long total = v.path("records").asLong();
        JsonNode entries = server.client().get("/api/v1/audit?after=" + Math.max(0, total - limit) + "&limit=" + limit);
        var out = spec.commandLine().getOut();
        if (json) {
            Output.json(out, entries);
            return 0;
        }
        for (JsonNode e : entries) {
            out.println(e.path("seq").asLong() + "  " + e.path("at").asText() + "  " + e.path("actor").asText() + "  " + e.path("status").asInt()
                    + "  " + e.path("action").asText() + "  " + e.path("target").asText());
        }
        return 0;
    }
}
