package dev.rollguard.versions;

import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.sandbox.Turn;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.values.Templates;
import dev.rollguard.values.Values;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A tree validated as it is delivered: rendered for every environment of the service (and every host with values of its
 * own), every validator run on each rendering. A finding that every rendering has is reported once; one that only some
 * have names them ("in production"), so a production-only value error is caught at push. Findings in a rendered
 * template point at the template as pushed ({@code wp-config.php.tmpl}), the file people edit.
 */
public final class Renderings {
    private Renderings() {}

    /** Secrets are masked in every rendering validated here: their text is opened only for an agent's bundle. */
    public static ValidationReport validate(Validation validation, String service, ServiceSpec spec, int version, ConfigTree tree,
                                            Templates templates, ConfigTree parent, Limits limits, Turn turn) {
        if (!templates.renders()) return validation.run(tree, parent, spec.validation(), turn);
        checkEnvironments(templates.values(), spec.environments());
        Templates before = parentTemplates(parent);
        List<Templates.Target> targets = templates.targets(spec.environments());
        Map<String, String> sources = new LinkedHashMap<>();
        for (String src : templates.sources()) {
            sources.put(src.endsWith(Values.SUFFIX) ? src.substring(0, src.length() - Values.SUFFIX.length()) : src, src);
        }
        List<List<Finding>> found = new ArrayList<>();
        Set<String> notices = new LinkedHashSet<>();
        Set<String> risks = new LinkedHashSet<>();
        boolean highRisk = false;
        long millis = 0;
        for (Templates.Target t : targets) {
            Templates.Facts facts = facts(service, t, version);
            ConfigTree rendered = templates.render(facts, limits);
            ConfigTree parentRendered = before == null ? parent : renderOrNull(before, facts, limits);
            ValidationReport r = validation.run(rendered, parentRendered, spec.validation(), turn);
            found.add(r.findings());
            notices.addAll(r.notices());
            risks.addAll(r.riskReasons());
            highRisk |= r.highRisk();
            millis += r.durationMillis();
        }
        return new ValidationReport(merge(targets, found, sources), List.copyOf(notices), highRisk, List.copyOf(risks), millis);
    }

    /** The facts of a rendering: an environment's own is made for {@link Templates#EXAMPLE_HOST}. */
    public static Templates.Facts facts(String service, Templates.Target t, int version) {
        return new Templates.Facts(service, t.env(), t.host() == null ? Templates.EXAMPLE_HOST : t.host(), version);
    }

    /** Values for an environment the service does not have would never be used: a typo ("prod") caught at push. */
    static void checkEnvironments(Values values, List<String> envs) {
        for (String env : values.environments().keySet()) {
            if (!envs.contains(env)) {
                throw new Problem(400, "invalid_values", Values.PATH + ": environments." + env + ": the service has no environment '" + env
                        + "' (it has " + String.join(", ", envs) + ")", Map.of("path", Values.PATH));
            }
        }
    }

    private static Templates parentTemplates(ConfigTree parent) {
        if (parent == null) return null;
        try {
            return Templates.of(parent);
        } catch (Problem e) {
            // a parent stored before values existed, or by break-glass: compared as it is
            return null;
        }
    }

    private static ConfigTree renderOrNull(Templates t, Templates.Facts facts, Limits limits) {
        try {
            return t.render(facts, limits);
        } catch (Problem e) {
            return null;
        }
    }

    /** Each distinct finding once; the renderings it was found in named unless it was found in all. */
    static List<Finding> merge(List<Templates.Target> targets, List<List<Finding>> found, Map<String, String> sources) {
        Map<String, List<String>> where = new LinkedHashMap<>();
        Map<String, Finding> first = new LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            for (Finding f : found.get(i)) {
                String key = f.rule() + '\0' + f.path() + '\0' + f.line() + '\0' + f.column() + '\0' + f.message();
                first.putIfAbsent(key, f);
                List<String> labels = where.computeIfAbsent(key, k -> new ArrayList<>());
                if (!labels.contains(targets.get(i).label())) labels.add(targets.get(i).label());
            }
        }
        List<Finding> out = new ArrayList<>();
        first.forEach((key, f) -> {
            List<String> labels = where.get(key);
            String path = f.path() == null ? null : sources.getOrDefault(f.path(), f.path());
            String message = labels.size() == targets.size() ? f.message() : f.message() + " (in " + String.join(", ", labels) + ")";
            boolean same = message.equals(f.message()) && (path == null || path.equals(f.path()));
            // a fix is offered for the file as pushed only: a template's rendering is not what people edit
            out.add(same ? f : Finding.of(f.rule(), f.severity(), path, f.line(), f.column(), message, f.suggestion(),
                    path == null || path.equals(f.path()) ? f.fix() : null));
        });
        return out;
    }
}
