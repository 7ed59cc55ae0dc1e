package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.client.ApiClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "incident", description = "One incident: show ID | note ID TEXT | ack ID | resolve ID [TEXT] | update ID | open --service S --title T.")
public final class IncidentCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", description = "show, note, ack, resolve, update or open")
    String action;

    @Parameters(index = "1..*", arity = "0..*", description = "Incident id, then text for note/resolve")
    List<String> args;

    @Option(names = {"-s", "--service"}, description = "open: the service")
    String service;

    @Option(names = {"-e", "--env"}, description = "open: the environment")
    String env;

    @Option(names = "--title", description = "open/update: the title")
    String title;

    @Option(names = "--severity", description = "open/update: SEV1..SEV4")
    String severity;

    @Option(names = "--commander", description = "open/update: the incident commander")
    String commander;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        ApiClient client = server.client();
        var out = spec.commandLine().getOut();
        if (action.equals("open")) {
            if (service == null || title == null) throw usage("open needs --service and --title");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("service", service);
            body.put("env", env);
            body.put("title", title);
            body.put("severity", severity);
            body.put("commander", commander);
            JsonNode i = client.post("/api/v1/incidents", body);
            if (json) Output.json(out, i);
            else out.println("opened " + IncidentsCommand.describe(i));
            return 0;
        }
        if (args == null || args.isEmpty()) throw usage(action + " needs an incident id");
        String path = "/api/v1/incidents/" + ApiClient.enc(args.get(0));
        String text = args.size() > 1 ? String.join(" ", args.subList(1, args.size())) : null;
        switch (action) {
            case "show" -> {
                JsonNode v = client.get(path);
                if (json) {
                    Output.json(out, v);
                    return 0;
                }
                out.println(IncidentsCommand.describe(v.path("incident")));
                out.println("timeline:");
                for (JsonNode t : v.path("timeline")) {
                    out.println("  " + t.path("at").asText() + "  [" + t.path("source").asText() + "] " + t.path("message").asText());
                }
                if (!v.path("actions").isEmpty()) out.println("action items:");
                for (JsonNode a : v.path("actions")) out.println("  " + ActionsCommand.describe(a));
                if (!v.path("notifications").isEmpty()) out.println("notifications:");
                for (JsonNode n : v.path("notifications")) {
                    out.println("  " + n.path("action").asText() + " -> " + n.path("channel").asText() + ": " + n.path("status").asText().toLowerCase()
                            + " after " + n.path("attempts").asInt() + " attempt(s)"
                            + (n.path("lastError").isNull() ? "" : " (last error: " + n.path("lastError").asText() + ")"));
                }
                return 0;
            }
            case "note" -> {
                if (text == null) throw usage("note needs text: rollguard incident note ID some words");
                client.post(path + "/notes", Map.of("text", text));
                out.println("noted on incident #" + args.get(0));
            }
            case "ack", "acknowledge" -> {
                client.post(path + "/acknowledge", Map.of());
                out.println("incident #" + args.get(0) + " acknowledged");
            }
            case "resolve" -> {
                Map<String, Object> body = new LinkedHashMap<>();
                if (text != null) body.put("text", text);
                client.post(path + "/resolve", body);
                out.println("incident #" + args.get(0) + " resolved");
            }
            case "update" -> {
                Map<String, Object> body = new LinkedHashMap<>();
                if (title != null) body.put("title", title);
                if (severity != null) body.put("severity", severity);
                if (commander != null) body.put("commander", commander);
                if (body.isEmpty()) throw usage("update needs --title, --severity or --commander");
                out.println(IncidentsCommand.describe(client.patch(path, body)));
            }
            default -> throw usage("unknown action '" + action + "' (show, note, ack, resolve, update, open)");
        }
        return 0;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
