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

@Command(name = "actions", description = "Postmortem action items: list (default) | add INCIDENT --title T [--owner O] [--due YYYY-MM-DD] | done ID | update ID.")
public final class ActionsCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(arity = "0..2", description = "list | add INCIDENT | done ID | update ID")
    List<String> args;

    @Option(names = "--incident", description = "list: only this incident's")
    String incident;

    @Option(names = "--status", description = "list: open, done or wontfix; update: the new status")
    String status;

    @Option(names = "--title", description = "add: what is to be done")
    String title;

    @Option(names = "--owner", description = "add: who does it")
    String owner;

    @Option(names = "--due", description = "YYYY-MM-DD")
    String due;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        ApiClient client = server.client();
        var out = spec.commandLine().getOut();
        String verb = args == null || args.isEmpty() ? "list" : args.get(0);
        String target = args != null && args.size() > 1 ? args.get(1) : null;
        JsonNode r;
        switch (verb) {
            case "list" -> {
                String path = incident != null ? "/api/v1/incidents/" + ApiClient.enc(incident) + "/actions" : "/api/v1/actions";
                r = client.get(path + (status == null ? "" : "?status=" + ApiClient.enc(status)));
                if (json) Output.json(out, r);
                else if (r.isEmpty()) out.println("no action items");
                else for (JsonNode a : r) out.println(describe(a));
                return 0;
            }
            case "add" -> {
                if (target == null || title == null) throw usage("add needs an incident id and --title");
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("title", title);
                body.put("owner", owner);
                body.put("due", due);
                r = client.post("/api/v1/incidents/" + ApiClient.enc(target) + "/actions", body);
            }
            case "done", "update" -> {
                if (target == null) throw usage(verb + " needs an action item id");
                Map<String, Object> body = new LinkedHashMap<>();
                if (verb.equals("done")) body.put("status", "done");
                else if (status != null) body.put("status", status);
                if (title != null) body.put("title", title);
                if (owner != null) body.put("owner", owner);
                if (due != null) body.put("due", due);
                r = client.patch("/api/v1/actions/" + ApiClient.enc(target), body);
            }
            default -> throw usage("unknown action '" + verb + "' (list, add, done, update)");
        }
        if (json) Output.json(out, r);
        else out.println(describe(r));
        return 0;
    }

    static String describe(JsonNode a) {
        return "#" + a.path("id").asInt() + "  [" + a.path("status").asText().toLowerCase() + "]  incident #" + a.path("incidentId").asInt()
                + "  " + a.path("title").asText() + (a.path("owner").isNull() ? "" : "  owner: " + a.path("owner").asText())
                + (a.path("due").isNull() ? "" : "  due: " + a.path("due").asText());
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
