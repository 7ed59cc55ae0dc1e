package dev.rollguard.versions;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.Ownership;
import dev.rollguard.config.Secrets;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeDiff;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeWire;
import dev.rollguard.sandbox.Turn;
import dev.rollguard.secrets.Sealer;
import dev.rollguard.storage.Tx;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.Fixer;
import dev.rollguard.validate.Validation;
import dev.rollguard.validate.ValidationReport;
import dev.rollguard.values.Templates;
import dev.rollguard.values.Values;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

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
        long append(Tx tx, String actor, String source, String action, String target, String after);
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
        // a pattern added now may match files stored before it: they are sealed from now on too
        if (store.sealStoredFiles(name, service(name).secrets()::holds) > 0) scrub.run();
    }

    /** Run after files were sealed in place: drops the database's old copies of their plain text (wired in Rollguard). */
    private volatile Runnable scrub = () -> { };

    public void scrubWith(Runnable scrub) {
        this.scrub = scrub;
    }

    /**
     * Seals every stored file a secret pattern of its service matches and that rests in plain text (stored before
     * files were sealed), and every spec holding a channel's secret: run at start-up. Returns how many it sealed.
     */
    public int sealSecretFiles() {
        int sealed = store.sealStoredSpecs();
        for (String name : store.serviceNames()) sealed += store.sealStoredFiles(name, service(name).secrets()::holds);
        return sealed;
    }

    /** Whether a stored file's text holds an envelope of another key than the current one (a sealed secret value). */
    public boolean keepsEnvelopesOfOlderKeys() {
        return store.filesHoldEnvelopesOfOtherKeys();
    }

    /** Seals again with the current key every file and spec sealed with an older one (after a key rotation). */
    public int resealSecretFiles() {
        return store.resealStoredFiles() + store.sealStoredSpecs();
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
        ConfigTree uploaded = upload.tree(limits);
        ConfigTree tree = Ownership.apply(spec.ownership(), uploaded, Values.deliveredNames(uploaded));
        // as a push would: against the latest version unless told otherwise, so syntax errors are placed at the change
        Integer base = parent != null ? parent : store.latestVersion(service).orElse(null);
        return validateRenderings(service, spec, tree, parentTree(service, base));
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

    /** Owners and modes of the spec's {@link Ownership} rules are applied here, so they are stored with the version. */
    private PushResult push(String service, ConfigTree pushed, String author, String message, Integer parent, String breakGlass,
                            GitCommit git, String source) {
        ServiceSpec spec = service(service);
        ConfigTree tree = Ownership.apply(spec.ownership(), pushed, Values.deliveredNames(pushed));
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
        // a template that does not render (an undefined value, a syntax error) is refused even with break-glass: no
        // host could be given this version
        ValidationReport report = validateRenderings(service, spec, tree, parentTree);
        if (!report.releasable() && breakGlass == null) {
            throw new Problem(422, "validation_failed", service + ": " + report.errors() + " error(s) found; the version was not stored",
                    Map.of("report", report));
        }
        AuditWriter log = audit;
        Secrets secrets = spec.secrets();
        Set<String> sealed = new HashSet<>();
        tree.entries().forEach((path, e) -> {
            if (e instanceof TreeEntry.File f && (Secrets.isKeyFile(path) || secrets.holds(f.bytes()))) sealed.add(f.hash());
        });
        VersionInfo v = store.insertVersion(service, base, author, message.strip(), clock.instant(), tree, report,
                report.releasable() ? null : breakGlass, git, sealed, log == null ? null : (tx, created) -> log.append(tx, author, source,
                        "POST /api/v1/services/{service}/versions", "/api/v1/services/" + service + "/versions/" + created.number(),
                        Json.write(auditView(created))));
        return new PushResult(v, report);
    }

    /**
     * Every rendering of the tree (each environment's, each host's with values of its own) validated; see {@link Renderings}.
     * Its secret values must be sealed envelopes this server can open.
     */
    /**
     * A validation's external checks share the sandbox's slots with every other service's, and end by this deadline: under
     * the CLI's five-minute request time-out, so what a client gave up on stops running here too.
     */
    static final Duration CHECK_TIME = Duration.ofMinutes(4);

    private static Turn checkTurn(String service) {
        return Turn.of(service, CHECK_TIME);
    }

    private ValidationReport validateRenderings(String service, ServiceSpec spec, ConfigTree tree, ConfigTree parent) {
        Templates templates = Templates.of(tree);
        if (templates.renders()) checkSecrets(templates.values());
        int next = store.latestVersion(service).orElse(0) + 1;
        return Renderings.validate(validation, service, spec, next, tree, templates, parent, limits, checkTurn(service))
                .masked(spec.secrets()::mask);
    }

    /**
     * A secret value arrives sealed ({@code rollguard seal}), so neither the values file, its Git history nor the stored
     * version ever holds it in plain text; one this server cannot open is refused now, not on a host.
     */
    private void checkSecrets(Values values) {
        for (Values.Secret s : values.secrets()) {
            if (!Sealer.isSealed(s.text())) {
                throw new Problem(400, "secret_not_sealed", Values.PATH + ": a secret value must be sealed ('rollguard seal' prints one); "
                        + "the version was not stored", Map.of("path", Values.PATH));
            }
            Sealer sealer = this.sealer;
            if (sealer == null) {
                throw new Problem(400, "secrets_unavailable", "this server has no secrets key: it cannot deliver secret values");
            }
            try {
                Arrays.fill(sealer.open(s.text()), (byte) 0);
            } catch (RuntimeException e) {
                throw new Problem(400, "secret_unreadable", Values.PATH + ": a secret value was not sealed by this server's keys ("
                        + e.getMessage() + ")", Map.of("path", Values.PATH));
            }
        }
    }

    /** Seals and opens secret values (null: this server has no secrets key, and refuses versions with secret values). */
    private volatile Sealer sealer;

    public void secretsWith(Sealer sealer) {
        this.sealer = sealer;
    }

    /** Seals a secret value for a values file ({@code rollguard seal}); the plain text is not kept. */
    public String seal(byte[] plaintext) {
        Sealer s = sealer;
        if (s == null) throw new Problem(503, "secrets_unavailable", "this server has no secrets key");
        return s.seal(plaintext);
    }

    /** A secret's text, for an agent's bundle only. */
    String openSecret(Values.Secret secret) {
        Sealer s = sealer;
        if (s == null) throw new Problem(503, "secrets_unavailable", "this server has no secrets key: it cannot open secret values");
        return new String(s.open(secret.text()), StandardCharsets.UTF_8);
    }

    /** {@code version} as {@code host} in {@code env} receives it ({@code reveal} gives a secret's text). */
    ConfigTree render(Templates templates, String service, int version, String env, String host, Function<Values.Secret, String> reveal) {
        if (!templates.renders()) return templates.render(null, reveal, limits);
        if (env == null || !service(service).environments().contains(env)) {
            throw Problem.badRequest("unknown_environment", service + " has no environment '" + env + "'");
        }
        if (host == null || host.isBlank()) throw Problem.badRequest("missing_host", "a rendering needs a host id");
        return templates.render(new Templates.Facts(service, env, host, version), reveal, limits);
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
        return TreeDiff.between(a, b, "v" + from, "v" + to, service(service).secrets()::maskFile);
    }

    /**
     * Per environment, how the rendered templates change between two versions (secret values as {@value Templates#MASK});
     * empty when neither version has values. Files that are not templates render as they are: their change is in
     * {@link #diff}.
     */
    public Map<String, List<TreeDiff.FileDiff>> renderedDiff(String service, int from, int to) {
        Templates a = templatesOrNull(tree(service, from));
        Templates b = templatesOrNull(tree(service, to));
        Map<String, List<TreeDiff.FileDiff>> out = new LinkedHashMap<>();
        if ((a == null || !a.renders()) && (b == null || !b.renders())) return out;
        for (String env : service(service).environments()) {
            // both rendered with the same version fact: the diff shows what the change does, not the new number
            ConfigTree ra = renderedOrNull(a, service, to, env);
            ConfigTree rb = renderedOrNull(b, service, to, env);
            if (ra == null || rb == null) continue;
            Set<String> outputs = new TreeSet<>();
            for (ConfigTree t : List.of(ra, rb)) t.paths().forEach(outputs::add);
            outputs.removeIf(p -> !isRendered(a, p) && !isRendered(b, p));
            out.put(env, TreeDiff.between(ra, rb, "v" + from + " (" + env + ")", "v" + to + " (" + env + ")", service(service).secrets()::maskFile)
                    .stream().filter(d -> outputs.contains(d.path())).toList());
        }
        return out;
    }

    private static boolean isRendered(Templates t, String path) {
        return t != null && t.renders() && (t.sources().contains(path) || t.sources().contains(path + Values.SUFFIX));
    }

    private static Templates templatesOrNull(ConfigTree tree) {
        try {
            return Templates.of(tree);
        } catch (Problem e) {
            return null;
        }
    }

    private ConfigTree renderedOrNull(Templates t, String service, int version, String env) {
        if (t == null) return null;
        try {
            return t.render(new Templates.Facts(service, env, Templates.EXAMPLE_HOST, version), limits);
        } catch (Problem e) {
            return null;
        }
    }

    /** Both versions with the diff between them, for people (see {@link VersionDiff#unified()}). */
    public VersionDiff versionDiff(String service, int from, int to) {
        return new VersionDiff(version(service, from), version(service, to), diff(service, from, to), renderedDiff(service, from, to));
    }

    /** Applies every suggested fix of a version's findings to the whole tree and pushes the result as a new version. */
    public PushResult fix(String service, int number, String author, List<String> findingIds) {
        return fix(service, number, author, findingIds, null);
    }

    public PushResult fix(String service, int number, String author, List<String> findingIds, String source) {
        VersionInfo v = version(service, number);
        ConfigTree tree = store.tree(service, number);
        ValidationReport report = validation.run(tree, v.parent() == null ? null : store.tree(service, v.parent()),
                service(service).validation(), checkTurn(service));
        List<Finding> chosen = report.findings().stream()
                .filter(f -> findingIds == null || findingIds.isEmpty() || findingIds.contains(f.id())).toList();
        Fixer.Result fixed = Fixer.apply(tree, chosen);
        if (fixed.applied().isEmpty()) {
            throw Problem.conflict("nothing_to_fix", "no finding of " + service + " v" + number + " has a suggested fix");
        }
        // the fixed tree is checked against today's limits like any push
        return push(service, ConfigTree.ofEntries(fixed.tree().entries(), limits).withMeta(fixed.tree().meta()), author, describe(fixed, number), number, null, null, source);
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
    public void markBad(Tx tx, String service, int version, String reason) {
        store.markBad(tx, service, version, reason);
    }

    /** In the caller's transaction (a rollout that completed): the environment now runs {@code version}. */
    public void recordRelease(Tx tx, String service, String env, int version, String actor, String breakGlass, Instant at) {
        store.recordRelease(tx, service, env, version, actor, breakGlass, at);
    }

    public List<EnvInfo> environments(String service) {
        service(service);
        return store.environments(service);
    }

    /** The version an environment runs (its last release), null before its first. */
    public Integer released(String service, String env) {
        return environments(service).stream().filter(e -> e.name().equals(env)).findFirst().map(EnvInfo::releasedVersion).orElse(null);
    }

}
