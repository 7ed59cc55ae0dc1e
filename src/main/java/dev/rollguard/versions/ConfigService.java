package dev.rollguard.versions;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.Secrets;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeDiff;
import dev.rollguard.config.TreeWire;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.Fixer;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import org.jdbi.v3.core.Handle;

import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The config store's use cases: services, pushing validated versions, diffs, fixes and releases to
 * environments in promotion order.
 */
public final class ConfigService {
    public record PushResult(VersionInfo version, ValidationReport report) {}

    private final ConfigStore store;
    private final Validation validation;
    private final Limits limits;
    private final Clock clock;

    public ConfigService(ConfigStore store, Validation validation, Limits limits, Clock clock) {
        this.store = store;
        this.validation = validation;
        this.limits = limits;
        this.clock = clock;
    }

    /** Where a new version's audit record is written, in the transaction that stores the version (none: not audited). */
    private volatile AuditWriter audit;

    /** Appends an audit record in the caller's transaction and returns its number (the audit log, wired in Rollguard). */
    @FunctionalInterface
    public interface AuditWriter {
        long append(Handle h, String actor, String source, String action, String target, String after);
    }

    public void auditWith(AuditWriter audit) {
        this.audit = audit;
    }

    /** Each version stored with audit linking, by "service vN", and the number of its audit record (null: none). */
    public Map<String, Long> versionAuditRecords() {
        return store.versionAuditRecords();
    }

    public Limits limits() { return limits; }


    public void putService(String name, ServiceSpec spec) {
        ServiceSpec s = spec == null ? ServiceSpec.defaults() : spec;
        validation.check(s.validation());
        store.saveService(ServiceSpec.checkName(name), s.keepingSecretsOf(store.service(name).orElse(null)), clock.instant());
    }

    /** The service's spec, if it is defined. */
    public Optional<ServiceSpec> findService(String name) {
        return store.service(name);
    }

    public ServiceSpec service(String name) {
        return store.service(name).orElseThrow(() -> Problem.notFound("unknown_service", "no service named '" + name + "'"));
    }

    public List<String> services() { return store.serviceNames(); }

    public ValidationReport validate(String service, Map<String, String> files, Integer parent) {
        return validate(service, new TreeWire.Upload(files, null), parent);
    }

    public ValidationReport validate(String service, TreeWire.Upload upload, Integer parent) {
        ServiceSpec spec = service(service);
        ConfigTree tree = upload.tree(limits);
        // as a push would: against the latest version unless told otherwise, so syntax errors are placed at the change
        Integer base = parent != null ? parent : store.latestVersion(service).orElse(null);
        return validation.run(tree, parentTree(service, base), spec.validation()).masked(spec.secrets()::mask);
    }

    /**
     * Validates and stores a new version. A version with error findings is refused (422 with the report)
     * unless a break-glass reason is given, in which case it is stored with the reason and its findings.
     */
    public PushResult push(String service, Map<String, String> files, String author, String message, Integer parent,
                           String breakGlass) {
        return push(service, new TreeWire.Upload(files, null), author, message, parent, breakGlass, null);
    }

    /** Validates and stores the uploaded tree, recording the Git commit it came from when {@code git} is given. */
    public PushResult push(String service, TreeWire.Upload upload, String author, String message, Integer parent,
                           String breakGlass, GitCommit git) {
        return push(service, upload, author, message, parent, breakGlass, git, null);
    }

    /** As above; {@code source}: the client's address, for the version's audit record. */
    public PushResult push(String service, TreeWire.Upload upload, String author, String message, Integer parent,
                           String breakGlass, GitCommit git, String source) {
        service(service);
        return push(service, upload.tree(limits), author, message, parent, breakGlass, git, source);
    }

    private PushResult push(String service, ConfigTree tree, String author, String message, Integer parent, String breakGlass,
                            GitCommit git, String source) {
        ServiceSpec spec = service(service);
        if (author == null || author.isBlank()) throw Problem.badRequest("missing_author", "a version needs an author");
        if (message == null || message.isBlank()) throw Problem.badRequest("missing_message", "a version needs a message (-m)");
        if (author.length() > 200) throw Problem.badRequest("invalid_author", "author longer than 200 characters");
        if (breakGlass != null && breakGlass.isBlank()) {
            throw Problem.badRequest("break_glass_reason_required", "break-glass needs a reason");
        }
        Integer base = parent != null ? parent : store.latestVersion(service).orElse(null);
        ConfigTree parentTree = parentTree(service, base);
        if (parentTree != null && parentTree.treeHash().equals(tree.treeHash())) {
            throw Problem.conflict("no_changes", "the tree is identical to version " + base + " of " + service);
        }
        ValidationReport report = validation.run(tree, parentTree, spec.validation()).masked(spec.secrets()::mask);
        if (!report.releasable() && breakGlass == null) {
            throw new Problem(422, "validation_failed", service + ": " + report.errors() + " error(s) found; the version was not stored",
                    Map.of("report", report));
        }
        AuditWriter log = audit;
        VersionInfo v = store.insertVersion(service, base, author, message.strip(), clock.instant(), tree, report,
                report.releasable() ? null : breakGlass, git, log == null ? null : (h, created) -> log.append(h, author, source,
                        "POST /api/v1/services/{service}/versions", "/api/v1/services/" + service + "/versions/" + created.number(),
                        Json.write(auditView(created))));
        return new PushResult(v, report);
    }

    private static Map<String, Object> auditView(VersionInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("service", v.service());
        m.put("number", v.number());
        m.put("parent", v.parent());
        m.put("author", v.author());
        m.put("message", v.message());
        m.put("treeHash", v.treeHash());
        m.put("releasable", v.releasable());
        m.put("highRisk", v.highRisk());
        m.put("breakGlass", v.breakGlass());
        return m;
    }

    private ConfigTree parentTree(String service, Integer number) {
        if (number == null) return null;
        version(service, number);
        return store.tree(service, number);
    }

    public VersionInfo version(String service, int number) {
        service(service);
        return store.version(service, number)
                .orElseThrow(() -> Problem.notFound("unknown_version", service + " has no version " + number));
    }

    public List<VersionInfo> versions(String service, int limit) {
        service(service);
        return store.versions(service, Math.max(1, Math.min(limit, 1000)));
    }

    /** Versions never change, so their trees are cached (bounded): a fleet fetching one bundle hits the database once. */
    private final Map<String, ConfigTree> trees = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ConfigTree> eldest) {
            return size() > 32;
        }
    });

    public ConfigTree tree(String service, int number) {
        String key = service + '\0' + number;
        ConfigTree cached = trees.get(key);
        if (cached != null) return cached;
        version(service, number);
        ConfigTree tree = store.tree(service, number);
        trees.put(key, tree);
        return tree;
    }

    /** The diff as people see it: secret values masked (see {@link Secrets}). */
    public List<TreeDiff.FileDiff> diff(String service, int from, int to) {
        ConfigTree a = tree(service, from);
        ConfigTree b = tree(service, to);
        Secrets secrets = service(service).secrets();
        return TreeDiff.between(a, b, "v" + from, "v" + to).stream().map(d -> new TreeDiff.FileDiff(d.path(), d.status(), d.additions(),
                d.deletions(), secrets.mask(d.unified()), d.changedLines().stream().map(l -> new TreeDiff.ChangedLine(l.path(), l.line(),
                        l.added(), secrets.mask(l.text()))).toList())).toList();
    }

    /** Both versions with the diff between them, for people (see {@link VersionDiff#unified()}). */
    public VersionDiff versionDiff(String service, int from, int to) {
        return new VersionDiff(version(service, from), version(service, to), diff(service, from, to));
    }

    /** Applies every suggested fix of a version's findings to the whole tree and pushes the result as a new version. */
    public PushResult fix(String service, int number, String author, List<String> findingIds) {
        return fix(service, number, author, findingIds, null);
    }

    public PushResult fix(String service, int number, String author, List<String> findingIds, String source) {
        VersionInfo v = version(service, number);
        ConfigTree tree = store.tree(service, number);
        ValidationReport report = validation.run(tree, v.parent() == null ? null : store.tree(service, v.parent()),
                service(service).validation());
        List<Finding> chosen = report.findings().stream()
                .filter(f -> findingIds == null || findingIds.isEmpty() || findingIds.contains(f.id())).toList();
        Fixer.Result fixed = Fixer.apply(tree, chosen);
        if (fixed.applied().isEmpty()) {
            throw Problem.conflict("nothing_to_fix", "no finding of " + service + " v" + number + " has a suggested fix");
        }
        // the fixed tree is checked against today's limits like any push
        return push(service, ConfigTree.ofEntries(fixed.tree().entries(), limits), author, describe(fixed, number), number, null, null, source);
    }

    public static String describe(Fixer.Result fixed, int number) {
        StringBuilder sb = new StringBuilder("fix v" + number + ":");
        for (Fixer.Applied a : fixed.applied()) {
            sb.append(" '").append(a.fix().from()).append("' -> '").append(a.fix().to()).append("' (")
                    .append(a.occurrences()).append(a.occurrences() == 1 ? " occurrence" : " occurrences").append(" in ")
                    .append(a.files()).append(a.files() == 1 ? " file)" : " files)").append(';');
        }
        return sb.substring(0, sb.length() - 1);
    }

    /** When {@code version} was released to {@code env}, oldest first. */
    public List<ReleaseRecord> releases(String service, String env, int version) {
        return store.releases(service, env, version);
    }

    /** In the caller's transaction (a rollback): the version may never be rolled out again. */
    public void markBad(Handle h, String service, int version, String reason) {
        store.markBad(h, service, version, reason);
    }

    /** In the caller's transaction (a rollout that completed): the environment now runs {@code version}. */
    public void recordRelease(Handle h, String service, String env, int version, String actor, String breakGlass, Instant at) {
        store.recordRelease(h, service, env, version, actor, breakGlass, at);
    }

    public List<EnvInfo> environments(String service) {
        service(service);
        return store.environments(service);
    }

}
