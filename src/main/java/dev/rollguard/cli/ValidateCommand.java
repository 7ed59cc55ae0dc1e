package dev.rollguard.cli;

import dev.rollguard.Json;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "validate", description = "Validate a config tree on disk; needs no server. Exit 1 when anything is found.")
public final class ValidateCommand implements Callable<Integer> {
    /** Validation is local: the server's storage limits do not apply, only sanity bounds. */
    static final Limits OFFLINE = new Limits(32L * 1024 * 1024, 200_000, 4L * 1024 * 1024 * 1024);

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "Directory holding the config tree")
    Path path;

    @Option(names = "--spec", description = "Service spec (YAML or JSON) with validation settings")
    Path specFile;

    @Option(names = "--parent", description = "Directory with the currently deployed tree: only changed files are linted, risk rules see the change")
    Path parent;

    @Option(names = "--builtin-only", description = "Skip external tools (php -l, apache2 -t, custom commands)")
    boolean builtinOnly;

    @Option(names = "--skip-binary", description = "Leave binary files (images, archives) out instead of refusing the tree")
    boolean skipBinary;

    @Option(names = "--json", description = "Print the report as JSON")
    boolean json;

    @Override
    public Integer call() {
        ServiceSpec service = SpecFiles.load(specFile);
        List<String> skipped = skipBinary ? new ArrayList<>() : null;
        ConfigTree tree = TreeLoader.load(path, OFFLINE, skipped);
        if (skipped != null && !skipped.isEmpty()) {
            spec.commandLine().getErr().println("notice: skipped " + skipped.size() + " binary file(s)");
        }
        ConfigTree parentTree = parent == null ? null : TreeLoader.load(parent, OFFLINE);
        Validation validation = builtinOnly ? Validation.builtIn() : Validation.standard();
        ValidationReport report = validation.run(tree, parentTree, service.validation());
        var out = spec.commandLine().getOut();
        if (json) Output.json(out, report);
        else Output.report(out, spec.commandLine().getErr(), report, tree.size());
        out.flush();
        return report.findings().isEmpty() ? 0 : 1;
    }

    /** Reads service specs from YAML or JSON files. */
    static final class SpecFiles {
        private SpecFiles() {}

        static ServiceSpec load(Path file) {
            if (file == null) return ServiceSpec.defaults();
            try {
                return Json.YAML.readValue(file.toFile(), ServiceSpec.class);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read spec " + file + ": " + e.getMessage().split("\n")[0]);
            }
        }
    }
}
