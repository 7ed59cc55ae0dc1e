package dev.rollguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollguard.Json;
import dev.rollguard.client.ApiClient;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeWire;
import dev.rollguard.git.GitTrees;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.versions.GitCommit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "push", description = "Push a config tree as a new version. Refused (exit 1) when validators find errors.")
public final class PushCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", arity = "0..1", description = "Directory holding the config tree (with --from-git: the "
            + "directory in the work tree whose committed tree to push; default: the current directory)")
    Path path;

    @Option(names = {"-s", "--service"}, required = true, description = "Service name")
    String service;

    @Option(names = {"-m", "--message"}, description = "What changed and why (with --from-git: default the commit's message)")
    String message;

    @Option(names = "--from-git", paramLabel = "REV", description = "Push the tree of PATH exactly as commit REV holds it (links and executables as stored in Git)")
    String fromGit;

    @Option(names = "--no-git", description = "Do not record the Git commit of the work tree")
    boolean noGit;

    @Option(names = "--parent", description = "Version this change is based on (default: the latest)")
    Integer parent;

    @Option(names = "--break-glass", paramLabel = "REASON", description = "Store despite error findings; the reason is recorded")
    String breakGlass;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        if (fromGit != null) return pushFromGit();
        if (path == null) throw new ParameterException(spec.commandLine(), "Missing required parameter: 'PATH'");
        if (message == null) throw new ParameterException(spec.commandLine(), "Missing required option: '--message=<message>'");
        ApiClient client = server.client();
        client.requireReachable(); // a server that is down is said before reading (and maybe hashing) a whole tree
        // the server applies its limits; locally only what fits in memory matters
        ConfigTree tree = LocalTree.load(spec.commandLine(), path, UNBOUNDED);
        GitTrees.Provenance provenance = noGit ? new GitTrees.Provenance.None() : GitTrees.workTreeCommit(path);
        if (provenance instanceof GitTrees.Provenance.Untracked u) spec.commandLine().getErr().println("notice: no Git provenance: " + u.why());
        GitCommit git = provenance.named().orElse(null);
        return push(spec, client, service, tree, message, parent, breakGlass, git, json);
    }

    private static final Limits UNBOUNDED = new Limits(Long.MAX_VALUE / 4, Integer.MAX_VALUE, Long.MAX_VALUE / 4);

    private int pushFromGit() {
        Path dir = path == null ? Path.of("") : path;
        Path scratch = null;
        ApiClient client = server.client();
        client.requireReachable();
        try {
            scratch = Files.createTempDirectory("rollguard-git-");
            GitTrees.Checkout checkout = GitTrees.checkout(dir, fromGit, scratch);
            for (String s : checkout.skipped()) spec.commandLine().getErr().println("notice: not pushed: " + s);
            ConfigTree tree = LocalTree.load(spec.commandLine(), scratch, UNBOUNDED);
            String msg = message != null ? message : checkout.commit().message();
            return push(spec, client, service, tree, msg, parent, breakGlass, checkout.commit(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (scratch != null) deleteTree(scratch);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }

    static int push(picocli.CommandLine.Model.CommandSpec spec, ApiClient client, String service, ConfigTree tree,
                    String message, Integer parent, String breakGlass, GitCommit git, boolean json) {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("entries", TreeWire.encode(tree));
        body.put("message", message);
        if (parent != null) body.put("parent", parent);
        if (breakGlass != null) body.put("breakGlass", breakGlass);
        if (git != null) body.put("git", git);
        try {
            JsonNode result = client.post("/api/v1/services/" + ApiClient.enc(service) + "/versions", body);
            if (json) {
                Output.json(out, result);
            } else {
                JsonNode v = result.path("version");
                ValidationReport report = Json.MAPPER.convertValue(result.path("report"), ValidationReport.class);
                Output.report(out, spec.commandLine().getErr(), report, v.path("fileCount").asInt());
                out.println("pushed " + service + " v" + v.path("number").asInt()
                        + (v.path("breakGlass").isNull() ? "" : " (BREAK-GLASS: " + v.path("breakGlass").asText() + ")")
                        + (v.path("highRisk").asBoolean() ? " [high-risk: needs a second approver for production]" : "")
                        + (git == null ? "" : " = " + git.describe()));
            }
            return 0;
        } catch (ApiClient.ApiException e) {
            if (!"validation_failed".equals(e.code())) throw e;
            ValidationReport report = Json.MAPPER.convertValue(e.error().path("report"), ValidationReport.class);
            if (json) {
                Output.json(out, Map.of("refused", true, "code", e.code(), "message", e.getMessage(), "report", report));
            } else {
                Output.report(out, spec.commandLine().getErr(), report, tree.size());
                out.println("refused: " + e.getMessage() + " (fix it: rollguard fix PATH --service " + service
                        + ", or bypass with --break-glass REASON)");
            }
            return 1;
        }
    }
}
