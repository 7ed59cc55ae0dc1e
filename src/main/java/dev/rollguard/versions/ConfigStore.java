package dev.rollguard.versions;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FileMeta;
import dev.rollguard.config.Limits;
import dev.rollguard.config.Secrets;
import dev.rollguard.config.ServiceSpec;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.secrets.Sealer;
import dev.rollguard.storage.Store;
import dev.rollguard.storage.Tx;
import dev.rollguard.validate.ValidationReport;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/** Persistence of services, versions (content-addressed files), environments and releases. */
public final class ConfigStore extends Store {
    private static final String VERSION_COLUMNS = "service, number, parent, author, message, created_at, tree_hash, "
            + "file_count, total_bytes, releasable, high_risk, bad, bad_reason, break_glass, report, "
            + "git_commit, git_author, git_email, git_message, git_dirty";

    /** {@code version_files.kind}: a regular file, or a symbolic link whose blob is its target. */
    private static final String FILE = "file";
    private static final String LINK = "link";

    private static final int PAGE = 200;

    /** Files holding a secret rest sealed in {@code blobs.data}; opened here, for the service's use cases only. */
    private final Sealer sealer;
    /** Stored spec text → the spec it parses to (immutable records); bounded, cleared when it grows past its bound. */
    private final Map<String, ServiceSpec> parsedSpecs = new ConcurrentHashMap<>();

    public ConfigStore(Jdbi jdbi, Sealer sealer) {
        super(jdbi);
        this.sealer = sealer;
    }

    /** One transaction: the owning service's unit of change. */

    public void saveService(String name, ServiceSpec spec, Instant now) {
        String json = specText(spec);
        jdbi.useTransaction(h -> {
            int updated = h.createUpdate("UPDATE services SET spec = :spec, updated_at = :now WHERE name = :name")
                    .bind("spec", json).bind("now", now.toEpochMilli()).bind("name", name).execute();
            if (updated == 0) {
                h.createUpdate("INSERT INTO services (name, spec, created_at, updated_at) VALUES (:name, :spec, :now, :now)")
                        .bind("spec", json).bind("now", now.toEpochMilli()).bind("name", name).execute();
            }
            List<String> envs = spec.environments();
            for (int i = 0; i < envs.size(); i++) {
                int n = h.createUpdate("UPDATE environments SET position = :pos WHERE service = :s AND name = :e")
                        .bind("pos", i).bind("s", name).bind("e", envs.get(i)).execute();
                if (n == 0) {
                    h.createUpdate("INSERT INTO environments (service, name, position) VALUES (:s, :e, :pos)")
                            .bind("pos", i).bind("s", name).bind("e", envs.get(i)).execute();
                }
            }
            // environments dropped from the spec keep their history but leave the promotion order
            h.createUpdate("UPDATE environments SET position = -1 WHERE service = :s AND name NOT IN (<envs>)")
                    .bind("s", name).bindList("envs", envs).execute();
        });
    }

    public Optional<ServiceSpec> service(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT spec FROM services WHERE name = :n").bind("n", name)
                .mapTo(String.class).findOne().map(this::spec));
    }

    /**
     * A spec as stored: sealed whole when it holds a channel's secret, routing key or credentials in a URL (the spec's
     * other fields are no secret, but a channel's fields are validated as what they are, so no part can be an envelope).
     */
    private String specText(ServiceSpec spec) {
        String json = Json.write(spec);
        boolean secret = spec.incidents().channels().stream().anyMatch(c -> c.secret() != null || c.routingKey() != null)
                || !Secrets.builtIn().mask(json).equals(json);
        return secret ? sealer.seal(json.getBytes(StandardCharsets.UTF_8)) : json;
    }

    /**
     * A spec as read, parsed once per stored text: every long-poll answer that brings a host a new version carries the
     * spec's preflight, and parsing it (JSON, and compiling the secret patterns the constructor checks) cost more than the
     * rest of the answer. The text is compared whole, so a change made by any replica is seen at the next read.
     */
    private ServiceSpec spec(String stored) {
        ServiceSpec known = parsedSpecs.get(stored);
        if (known != null) return known;
        String json = Sealer.isSealed(stored) ? new String(sealer.open(stored), StandardCharsets.UTF_8) : stored;
        ServiceSpec spec = Json.read(json, ServiceSpec.class);
        if (parsedSpecs.size() > 1024) parsedSpecs.clear();
        parsedSpecs.put(stored, spec);
        return spec;
    }

    /**
     * Seals the stored specs that hold a secret in plain text (stored before specs were sealed) and seals again those
     * sealed with an older key; returns how many it wrote.
     */
    public int sealStoredSpecs() {
        String current = "rg-sealed:v1:" + sealer.currentKeyId() + ":";
        Map<String, String> rewrite = new LinkedHashMap<>();
        jdbi.useHandle(h -> h.createQuery("SELECT name, spec FROM services ORDER BY name")
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2))).forEach(e -> {
                    if (e.getValue().startsWith(current)) return;
                    String text = specText(spec(e.getValue()));
                    if (Sealer.isSealed(text)) rewrite.put(e.getKey(), text);
                }));
        if (!rewrite.isEmpty()) {
            jdbi.useTransaction(h -> {
                PreparedBatch update = h.prepareBatch("UPDATE services SET spec = :spec WHERE name = :name");
                rewrite.forEach((name, text) -> update.bind("spec", text).bind("name", name).add());
                update.execute();
            });
        }
        return rewrite.size();
    }

    public List<String> serviceNames() {
        return jdbi.withHandle(h -> h.createQuery("SELECT name FROM services ORDER BY name").mapTo(String.class).list());
    }

    public Optional<Integer> latestVersion(String service) {
        return jdbi.withHandle(h -> h.createQuery("SELECT MAX(number) FROM versions WHERE service = :s").bind("s", service)
                .mapTo(Integer.class).findOne());
    }

    /** Writes a new version's audit record in the transaction that stores the version; returns the record's number. */
    @FunctionalInterface
    public interface VersionAudit {
        long record(Tx tx, VersionInfo version);
    }

    /** Stores a new version with the next number; its files' contents are added once per distinct hash. */
    public VersionInfo insertVersion(String service, Integer parent, String author, String message, Instant now,
                                     ConfigTree tree, ValidationReport report, String breakGlass, GitCommit git) {
        return insertVersion(service, parent, author, message, now, tree, report, breakGlass, git, Set.of(), null);
    }

    /**
     * As above, with the version's audit record (if {@code audit} is given) committed in the same transaction. The files
     * whose hashes are in {@code sealed} are stored sealed, never in plain text; one stored in plain text before (the
     * same bytes in a service without that secret pattern) is sealed in place.
     */
    public VersionInfo insertVersion(String service, Integer parent, String author, String message, Instant now,
                                     ConfigTree tree, ValidationReport report, String breakGlass, GitCommit git, Set<String> sealed,
                                     VersionAudit audit) {
        return jdbi.inTransaction(h -> {
            Integer max = h.createQuery("SELECT MAX(number) FROM versions WHERE service = :s").bind("s", service)
                    .mapTo(Integer.class).findOne().orElse(null);
            int number = max == null ? 1 : max + 1;
            PreparedBatch blobs = h.prepareBatch("INSERT INTO blobs (hash, size, data, sealed) VALUES (:hash, :size, :data, :sealed) "
                    + "ON CONFLICT (hash) DO UPDATE SET data = excluded.data, sealed = excluded.sealed WHERE excluded.sealed AND NOT blobs.sealed");
            for (TreeEntry e : tree.entries().values()) {
                // a link's blob is its target, as Git stores links
                byte[] data = e instanceof TreeEntry.File f ? f.bytes() : ((TreeEntry.Link) e).target().getBytes(StandardCharsets.UTF_8);
                boolean seal = e instanceof TreeEntry.File && sealed.contains(e.hash());
                blobs.bind("hash", e.hash()).bind("size", (long) data.length).bind("data", seal ? sealedBytes(data) : data)
                        .bind("sealed", seal).add();
            }
            if (tree.size() > 0) blobs.execute();
            h.createUpdate("INSERT INTO versions (" + VERSION_COLUMNS + ") VALUES (:service, :number, :parent, :author, :message, "
                            + ":created, :treeHash, :files, :bytes, :releasable, :highRisk, :bad, NULL, :breakGlass, :report, "
                            + ":gitCommit, :gitAuthor, :gitEmail, :gitMessage, :gitDirty)")
                    .bind("service", service).bind("number", number).bind("parent", parent).bind("author", author)
                    .bind("message", message).bind("created", now.toEpochMilli()).bind("treeHash", tree.treeHash())
                    .bind("files", tree.size()).bind("bytes", tree.totalBytes()).bind("releasable", report.releasable())
                    .bind("highRisk", report.highRisk()).bind("bad", false).bind("breakGlass", breakGlass)
                    .bind("report", Json.write(report))
                    .bind("gitCommit", git == null ? null : git.commit()).bind("gitAuthor", git == null ? null : git.author())
                    .bind("gitEmail", git == null ? null : git.email()).bind("gitMessage", git == null ? null : git.message())
                    .bind("gitDirty", git == null ? null : git.dirty()).execute();
            PreparedBatch files = h.prepareBatch("INSERT INTO version_files (service, number, path, hash, kind) VALUES (:s, :n, :p, :h, :k)");
            tree.entries().forEach((path, e) -> files.bind("s", service).bind("n", number).bind("p", path).bind("h", e.hash())
                    .bind("k", e instanceof TreeEntry.Link ? LINK : FILE).add());
            if (tree.size() > 0) files.execute();
            if (!tree.meta().isEmpty()) {
                PreparedBatch meta = h.prepareBatch("INSERT INTO version_meta (service, number, path, mode, owner, grp) "
                        + "VALUES (:s, :n, :p, :m, :o, :g)");
                tree.meta().forEach((path, m) -> meta.bind("s", service).bind("n", number).bind("p", path).bind("m", m.mode())
                        .bind("o", m.owner()).bind("g", m.group()).add());
                meta.execute();
            }
            VersionInfo v = version(h, service, number).orElseThrow();
            if (audit != null) {
                h.createUpdate("UPDATE versions SET audit_seq = :seq WHERE service = :s AND number = :n").bind("seq", audit.record(tx(h), v))
                        .bind("s", service).bind("n", number).execute();
            }
            return v;
        });
    }

    /**
     * Every version stored with this server's audit linking (not those from before it, marked 0), by "service vN",
     * with the number of its audit record (null: it has none, which only a write around the server can cause).
     */
    public Map<String, Long> versionAuditRecords() {
        return jdbi.withHandle(h -> {
            Map<String, Long> out = new HashMap<>();
            h.createQuery("SELECT service, number, audit_seq FROM versions WHERE audit_seq IS NULL OR audit_seq > 0")
                    .map((rs, ctx) -> {
                        long seq = rs.getLong("audit_seq");
                        long found = rs.wasNull() ? -1L : seq;
                        return Map.entry(rs.getString("service") + " v" + rs.getInt("number"), found);
                    })
                    .forEach(e -> out.put(e.getKey(), e.getValue() < 0 ? null : e.getValue()));
            return out;
        });
    }

    public Optional<VersionInfo> version(String service, int number) {
        return jdbi.withHandle(h -> version(h, service, number));
    }

    private static Optional<VersionInfo> version(Handle h, String service, int number) {
        return h.createQuery("SELECT " + VERSION_COLUMNS + " FROM versions WHERE service = :s AND number = :n")
                .bind("s", service).bind("n", number).map((rs, ctx) -> versionRow(rs)).findOne();
    }

    public List<VersionInfo> versions(String service, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + VERSION_COLUMNS
                        + " FROM versions WHERE service = :s ORDER BY number DESC LIMIT :limit")
                .bind("s", service).bind("limit", limit).map((rs, ctx) -> versionRow(rs)).list());
    }

    private static VersionInfo versionRow(ResultSet rs) throws SQLException {
        int parent = rs.getInt("parent");
        Integer parentOrNull = rs.wasNull() ? null : parent;
        return new VersionInfo(rs.getString("service"), rs.getInt("number"), parentOrNull, rs.getString("author"),
                rs.getString("message"), Instant.ofEpochMilli(rs.getLong("created_at")), rs.getString("tree_hash"),
                rs.getInt("file_count"), rs.getLong("total_bytes"), rs.getBoolean("releasable"), rs.getBoolean("high_risk"),
                rs.getBoolean("bad"), rs.getString("bad_reason"), rs.getString("break_glass"),
                Json.read(rs.getString("report"), ValidationReport.class), gitCommit(rs));
    }

    private static GitCommit gitCommit(ResultSet rs) throws SQLException {
        String commit = rs.getString("git_commit");
        return commit == null ? null : new GitCommit(commit, rs.getString("git_author"), rs.getString("git_email"),
                rs.getString("git_message"), rs.getBoolean("git_dirty"));
    }

    public ConfigTree tree(String service, int number) {
        Map<String, FileMeta> meta = new HashMap<>();
        Map<String, TreeEntry> entries = jdbi.withHandle(h -> {
            h.createQuery("SELECT path, mode, owner, grp FROM version_meta WHERE service = :s AND number = :n")
                    .bind("s", service).bind("n", number)
                    .map((rs, ctx) -> {
                        int mode = rs.getInt(2);
                        return Map.entry(rs.getString(1), new FileMeta(rs.wasNull() ? null : mode, rs.getString(3), rs.getString(4)));
                    })
                    .forEach(e -> meta.put(e.getKey(), e.getValue()));
            Map<String, TreeEntry> out = new HashMap<>();
            h.createQuery("SELECT f.path, f.kind, b.data, b.sealed FROM version_files f JOIN blobs b ON b.hash = f.hash "
                            + "WHERE f.service = :s AND f.number = :n")
                    .bind("s", service).bind("n", number)
                    .map((rs, ctx) -> {
                        String path = rs.getString(1);
                        byte[] data = rs.getBoolean(4) ? sealer.open(new String(rs.getBytes(3), StandardCharsets.UTF_8)) : rs.getBytes(3);
                        return Map.entry(path, LINK.equals(rs.getString(2))
                                ? TreeEntry.link(path, new String(data, StandardCharsets.UTF_8)) : TreeEntry.file(data));
                    })
                    .forEach(e -> out.put(e.getKey(), e.getValue()));
            return out;
        });
        // stored trees passed every limit when they were pushed; limits may have shrunk since
        return ConfigTree.ofEntries(entries, new Limits(Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE)).withMeta(meta);
    }

    private byte[] sealedBytes(byte[] plain) {
        return sealer.seal(plain).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Seals, in place, the files of {@code service} stored in plain text that {@code holdsSecret} picks (stored before
     * they were sealed at push, or before the pattern that matches them was added). Returns how many it sealed.
     */
    public int sealStoredFiles(String service, Predicate<byte[]> holdsSecret) {
        return rewriteBlobs((h, after) -> h.createQuery("SELECT DISTINCT b.hash, b.data FROM blobs b JOIN version_files f ON f.hash = b.hash "
                        + "WHERE f.service = :s AND f.kind = :file AND NOT b.sealed AND b.hash > :after ORDER BY b.hash LIMIT " + PAGE)
                        .bind("s", service).bind("file", FILE).bind("after", after),
                data -> holdsSecret.test(data) ? sealedBytes(data) : null);
    }

    /** Whether any stored file's text (opened if sealed) holds an envelope of another key than the current one. */
    public boolean filesHoldEnvelopesOfOtherKeys() {
        String current = "rg-sealed:v1:" + sealer.currentKeyId() + ":";
        boolean[] found = {false};
        rewriteBlobs((h, after) -> h.createQuery("SELECT hash, data FROM blobs WHERE sealed AND hash > :after ORDER BY hash LIMIT " + PAGE)
                .bind("after", after), data -> {
                    found[0] |= holdsOther(new String(sealer.open(new String(data, StandardCharsets.UTF_8)), StandardCharsets.UTF_8), current);
                    return null;
                });
        rewriteBlobs((h, after) -> h.createQuery("SELECT hash, data FROM blobs WHERE NOT sealed AND hash > :after ORDER BY hash LIMIT " + PAGE)
                .bind("after", after), data -> {
                    found[0] |= holdsOther(new String(data, StandardCharsets.UTF_8), current);
                    return null;
                });
        return found[0];
    }

    private static boolean holdsOther(String text, String current) {
        for (int at = text.indexOf("rg-sealed:v1:"); at >= 0; at = text.indexOf("rg-sealed:v1:", at + 1)) {
            if (!text.startsWith(current, at)) return true;
        }
        return false;
    }

    /** Seals again, with the current key, every sealed file sealed with another one (after a rotation). */
    public int resealStoredFiles() {
        String current = "rg-sealed:v1:" + sealer.currentKeyId() + ":";
        return rewriteBlobs((h, after) -> h.createQuery("SELECT hash, data FROM blobs WHERE sealed AND hash > :after ORDER BY hash LIMIT " + PAGE)
                        .bind("after", after),
                data -> {
                    String envelope = new String(data, StandardCharsets.UTF_8);
                    return envelope.startsWith(current) ? null : sealedBytes(sealer.open(envelope));
                });
    }

    /**
     * Pages through the blobs {@code select} names (ordered by hash, after the one given) and stores, sealed, what {@code change}
     * returns for each (null: left as is). One short transaction a page, so a large store never holds the writer long.
     */
    private int rewriteBlobs(BiFunction<Handle, String, Query> select, Function<byte[], byte[]> change) {
        int count = 0;
        String after = "";
        while (true) {
            String from = after;
            Map<String, byte[]> page = new LinkedHashMap<>();
            jdbi.useHandle(h -> select.apply(h, from).map((rs, ctx) -> Map.entry(rs.getString(1), rs.getBytes(2))).forEach(e -> page.put(e.getKey(), e.getValue())));
            if (page.isEmpty()) return count;
            Map<String, byte[]> changed = new LinkedHashMap<>();
            page.forEach((hash, data) -> {
                byte[] next = change.apply(data);
                if (next != null) changed.put(hash, next);
            });
            if (!changed.isEmpty()) {
                jdbi.useTransaction(h -> {
                    PreparedBatch update = h.prepareBatch("UPDATE blobs SET data = :data, sealed = :sealed WHERE hash = :hash");
                    changed.forEach((hash, data) -> update.bind("data", data).bind("sealed", true).bind("hash", hash).add());
                    update.execute();
                });
            }
            count += changed.size();
            after = page.keySet().stream().reduce((a, b) -> b).orElseThrow();
        }
    }

    public void markBad(String service, int number, String reason) {
        jdbi.useTransaction(h -> markBad(tx(h), service, number, reason));
    }

    public void markBad(Tx tx, String service, int number, String reason) {
        Handle h = handle(tx);
        h.createUpdate("UPDATE versions SET bad = :bad, bad_reason = :r WHERE service = :s AND number = :n")
                .bind("bad", true).bind("r", reason).bind("s", service).bind("n", number).execute();
    }

    public List<EnvInfo> environments(String service) {
        return jdbi.withHandle(h -> h.createQuery("SELECT service, name, position, released_version, released_at "
                        + "FROM environments WHERE service = :s AND position >= 0 ORDER BY position")
                .bind("s", service).map((rs, ctx) -> {
                    int v = rs.getInt("released_version");
                    Integer version = rs.wasNull() ? null : v;
                    long at = rs.getLong("released_at");
                    Instant releasedAt = rs.wasNull() ? null : Instant.ofEpochMilli(at);
                    return new EnvInfo(rs.getString("service"), rs.getString("name"), rs.getInt("position"), version, releasedAt);
                }).list());
    }

    public ReleaseRecord recordRelease(String service, String env, int version, String actor, String breakGlass, Instant now) {
        return jdbi.inTransaction(h -> recordRelease(tx(h), service, env, version, actor, breakGlass, now));
    }

    public ReleaseRecord recordRelease(Tx tx, String service, String env, int version, String actor, String breakGlass, Instant now) {
        Handle h = handle(tx);
        Integer previous = h.createQuery("SELECT released_version FROM environments WHERE service = :s AND name = :e")
                .bind("s", service).bind("e", env).map((rs, ctx) -> {
                    int v = rs.getInt(1);
                    return Optional.ofNullable(rs.wasNull() ? null : v);
                }).findOne()
                .orElseThrow(() -> Problem.notFound("unknown_environment", "service " + service + " has no environment " + env))
                .orElse(null);
        String id = UUID.randomUUID().toString();
        h.createUpdate("UPDATE environments SET released_version = :v, released_at = :now WHERE service = :s AND name = :e")
                .bind("v", version).bind("now", now.toEpochMilli()).bind("s", service).bind("e", env).execute();
        h.createUpdate("INSERT INTO releases (id, service, environment, version, previous_version, actor, break_glass, created_at) "
                        + "VALUES (:id, :s, :e, :v, :p, :a, :bg, :now)")
                .bind("id", id).bind("s", service).bind("e", env).bind("v", version).bind("p", previous).bind("a", actor)
                .bind("bg", breakGlass).bind("now", now.toEpochMilli()).execute();
        return new ReleaseRecord(id, service, env, version, previous, actor, breakGlass, now);
    }

    public List<ReleaseRecord> releases(String service, String env, int version) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, service, environment, version, previous_version, actor, break_glass, "
                        + "created_at FROM releases WHERE service = :s AND environment = :e AND version = :v ORDER BY created_at")
                .bind("s", service).bind("e", env).bind("v", version)
                .map((rs, ctx) -> {
                    int p = rs.getInt("previous_version");
                    Integer prev = rs.wasNull() ? null : p;
                    return new ReleaseRecord(rs.getString("id"), rs.getString("service"), rs.getString("environment"),
                            rs.getInt("version"), prev, rs.getString("actor"), rs.getString("break_glass"),
                            Instant.ofEpochMilli(rs.getLong("created_at")));
                }).list());
    }
}
