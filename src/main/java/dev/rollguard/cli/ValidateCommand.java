package dev.rollguard.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.sandbox.Sandbox;
import dev.rollguard.sandbox.Turn;
import dev.rollguard.validate.CommandValidators;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.PhpLintCache;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.validate.format.GitHubAnnotations;
import dev.rollguard.validate.format.JUnitXml;
import dev.rollguard.validate.format.ReportContext;
import dev.rollguard.validate.format.ReportFormat;
import dev.rollguard.validate.format.Sarif;
import dev.rollguard.values.Templates;
import dev.rollguard.versions.Renderings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "validate", description = "Validate a config tree on disk; needs no server. Exit 1 when anything is found.")
public final class ValidateCommand implements Callable<Integer> {
    /** Validation is local: the server's storage limits do not apply, only sanity bounds. */
    static final Limits OFFLINE = new Limits(32L * 1024 * 1024, 200_000, 4L * 1024 * 1024 * 1024);

    private static final Set<String> RENDER_REFUSALS = Set.of("invalid_values", "invalid_template", "render_failed");

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "Directory holding the config tree")
    Path path;

    @Option(names = "--spec", description = "Service spec (YAML or JSON) with validation settings")
    Path specFile;

    @Option(names = "--parent", description = "Directory with the currently deployed tree: only changed files are linted, risk rules see the change, syntax errors are placed at the changed lines, wildcard includes that stopped matching are errors")
    Path parent;

    @Option(names = "--validators", description = "YAML file declaring command validators the spec names (as for 'server --validators')")
    Path validators;

    @Option(names = "--builtin-only", description = "Skip external tools (php -l, apache2 -t, nginx -t, the daemons' checkers, command validators)")
    boolean builtinOnly;

    @Option(names = "--json", description = "Print the report as JSON (same as --format json)")
    boolean json;

    @Option(names = "--format", paramLabel = "text|json|sarif|junit|github",
            description = "Output format: text (default), json, sarif (SARIF 2.1.0), junit (JUnit XML), github (workflow annotations)")
    String format;

    @Override
    public Integer call() {
        ReportFormat chosen = format();
        ServiceSpec service = SpecFiles.load(specFile);
        // binary files and links are part of the tree; what cannot be read at all becomes a finding at its path
        TreeLoader.Scan scan = LocalTree.scan(path, OFFLINE);
        ConfigTree tree = scan.tree();
        ConfigTree parentTree = parent == null ? null : LocalTree.scan(parent, OFFLINE).tree();
        ValidationReport report;
        // every environment's rendering (and every host's with values of its own), secrets as placeholders
        Path abs = path.toAbsolutePath().normalize();
        String name = abs.getFileName() == null ? "service" : abs.getFileName().toString();
        try {
            Templates templates = Templates.of(tree);
            if (builtinOnly) {
                report = Renderings.validate(Validation.builtIn(), name, service, 0, tree, templates, parentTree, OFFLINE, Turn.unbounded(name));
            } else {
                // the user's own machine: commands a spec defines inline run too, in the sandbox like everything external
                CommandValidators declared = validators == null ? CommandValidators.none() : CommandValidators.load(validators);
                try (Sandbox sandbox = Sandbox.onFirstUse();
                     Validation validation = Validation.standard(sandbox, declared, true, PhpLintCache.onDisk(PhpLintCache.defaultDir()))) {
                    validation.check(service.validation());
                    report = Renderings.validate(validation, name, service, 0, tree, templates, parentTree, OFFLINE, Turn.unbounded(name));
                }
            }
        } catch (Problem e) {
            if (!RENDER_REFUSALS.contains(e.code())) throw e;
            report = refused(e);
        }
        if (!scan.skipped().isEmpty()) {
            List<Finding> all = new ArrayList<>(report.findings());
            all.addAll(LocalTree.findings(scan.skipped()));
            report = new ValidationReport(all, report.notices(), report.highRisk(), report.riskReasons(), report.durationMillis());
        }
        var out = spec.commandLine().getOut();
        switch (chosen) {
            case TEXT -> Output.report(out, spec.commandLine().getErr(), report, tree.size());
            case JSON -> Output.json(out, report);
            case SARIF -> out.print(Sarif.render(report, context(tree)));
            case JUNIT -> out.print(JUnitXml.render(report, context(tree)));
            case GITHUB -> out.print(GitHubAnnotations.render(report, context(tree)));
        }
        out.flush();
        return report.findings().isEmpty() ? 0 : 1;
    }

    /**
     * What a push would refuse before validating (a malformed values file, a template that does not compile or render):
     * one finding at its file and line, nothing else checked, since nothing could be rendered.
     */
    private static ValidationReport refused(Problem e) {
        Object line = e.details().get("line");
        Object at = e.details().get("path");
        return new ValidationReport(List.of(Finding.error(e.code(), at == null ? null : at.toString(), line instanceof Integer n ? n : 0, 0,
                e.getMessage())), List.of(), false, List.of(), 0);
    }

    private ReportFormat format() {
        if (format == null) return json ? ReportFormat.JSON : ReportFormat.TEXT;
        ReportFormat f;
        try {
            f = ReportFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (json && f != ReportFormat.JSON) throw new ParameterException(spec.commandLine(), "--json contradicts --format " + format);
        return f;
    }

    /**
     * CI systems name files relative to the job's working directory (the repository's root): a tree validated below
     * it is reported as {@code dir/file}, one elsewhere by its absolute path.
     */
    private ReportContext context(ConfigTree tree) {
        Path cwd = Path.of("").toAbsolutePath().normalize();
        Path dir = path.toAbsolutePath().normalize();
        String prefix;
        URI base;
        if (dir.startsWith(cwd)) {
            String rel = cwd.relativize(dir).toString().replace('\\', '/');
            prefix = rel.isEmpty() ? "" : rel + "/";
            base = cwd.toUri();
        } else {
            prefix = dir.toString().replace('\\', '/') + "/";
            base = null;
        }
        String host = System.getenv().getOrDefault("HOSTNAME", "localhost");
        String version = spec.root().version().length > 0 ? spec.root().version()[0].replace("rollguard ", "") : "dev";
        return new ReportContext(tree, prefix, base, version, Instant.now(), host);
    }

    /** Reads service specs from YAML or JSON files. */
    static final class SpecFiles {
        private SpecFiles() {}

        static ServiceSpec load(Path file) {
            if (file == null) return ServiceSpec.defaults();
            try {
                // a misspelt key (riskRule: for riskRules:) or one given twice would silently change what is checked
                return Json.YAML.readerFor(ServiceSpec.class).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                        .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readValue(file.toFile());
            } catch (UnrecognizedPropertyException e) {
                throw new IllegalArgumentException("spec " + file + ": " + Json.unknownKey(e).getMessage());
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read spec " + file + ": " + e.getMessage().split("\n")[0]);
            }
        }
    }
}
