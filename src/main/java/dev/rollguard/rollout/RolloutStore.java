package dev.rollguard.rollout;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.RolloutPolicy;
import dev.rollguard.health.ChangedHosts;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.storage.Store;
import dev.rollguard.storage.Tx;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static dev.rollguard.storage.Rows.instant;
import static dev.rollguard.storage.Rows.integer;

/** Persistence of hosts, rollouts and the event timeline. */
public final class RolloutStore extends Store {
    private static final String ROLLOUT_COLUMNS = "id, service, environment, from_version, to_version, hosts, policy, state, wave, "
            + "wave_started_at, created_at, updated_at, actor, break_glass, reason";
    /**
     * A rollout's row without its fleet (hosts and policy): those never change after the insert, so they are read and
     * parsed once per rollout ({@link #fleets}), not on every read (a tick, the incident monitor's second, a page).
     */
    private static final String ROLLOUT_HEAD = "id, service, environment, from_version, to_version, state, wave, "
            + "wave_started_at, created_at, updated_at, actor, break_glass, reason";
    /**
     * Rollouts whose fleets are kept parsed, the least recently read dropped first: above a listing (the API lists 50),
     * so that listing a service's past rollouts leaves the running ones' fleets, read every tick, in place.
     */
    static final int FLEETS_KEPT = 100;
    private static final String HOST_COLUMNS = "service, environment, host, labels, registered_at, last_seen, applied_version, "
            + "desired_version, failed_version, apply_error, failure";

    /** Hosts named in one statement's IN list (a release names every host of an environment). */
    private static final int CHUNK = 500;

    /** A rollout's hosts in assignment order and its policy, as inserted: immutable, so kept by rollout id. */
    private record Fleet(List<String> hosts, RolloutPolicy policy) {}

    private final Map<String, Fleet> fleets = recentlyUsed(FLEETS_KEPT);
    /**
     * What committed writes changed in the hosts' rows since the orchestrator's view last asked ({@link #takeChanged}):
     * the hosts a registration changed (to be read again), and each reported host's last report, whose columns are the
     * row's new values (a report sets them all). Marked after the commit, so a reader that takes a mark finds its write
     * in the database. This store is the hosts table's only writer in this process. Only the environments the view
     * watches ({@link #watch}).
     */
    private final ChangedHosts<Boolean> registered = new ChangedHosts<>();
    private final ChangedHosts<HostReports.Report> reported = new ChangedHosts<>();

    /** Changes to an environment's host rows: {@code reread}, hosts to read again; {@code reports}, rows as reported. */
    record HostChanges(Set<String> reread, List<HostInfo> reports) {}

    public RolloutStore(Jdbi jdbi) {
        super(jdbi);
    }

    /** One transaction: the owning service's unit of change. */

    // ------------------------------------------------------------------ hosts

    /** Registers a host (or refreshes it); a new host starts with the given desired version. */
    public HostInfo register(String service, String env, String host, String labels, Integer desired, Instant now,
                             HostRegistry.Enrolment enrolment) {
        HostInfo registered = registerRow(service, env, host, labels, desired, now, enrolment);
        this.registered.mark(service, env, host, Boolean.TRUE);
        return registered;
    }

    private HostInfo registerRow(String service, String env, String host, String labels, Integer desired, Instant now,
                                 HostRegistry.Enrolment enrolment) {
        return jdbi.inTransaction(h -> {
            if (enrolment != null && !host.equals(enrolment.host())) {
                Optional<String> owner = h.createQuery("SELECT enrolled_by FROM hosts WHERE service = :s AND environment = :e AND host = :h")
                        .bind("s", service).bind("e", env).bind("h", host).mapTo(String.class).findOne();
                if (owner.isPresent() && !owner.get().equals(enrolment.tokenId())) throw otherCredential(host);
            }
            int n = h.createUpdate("UPDATE hosts SET labels = :labels, last_seen = :now WHERE service = :s AND environment = :e AND host = :h")
                    .bind("labels", labels).bind("now", now.toEpochMilli()).bind("s", service).bind("e", env).bind("h", host).execute();
            if (n == 0) {
                if (enrolment != null) {
                    int used = h.createQuery("SELECT COUNT(*) FROM hosts WHERE enrolled_by = :t").bind("t", enrolment.tokenId())
                            .mapTo(Integer.class).one();
                    if (used >= enrolment.maxHosts()) {
                        throw new Problem(403, "enrolment_exhausted", "this enrolment token has registered its " + enrolment.maxHosts()
                                + " host(s); enrol more hosts with a new token (rollguard enrol --max-hosts N, or --host per host)");
                    }
                }
                h.createUpdate("INSERT INTO hosts (service, environment, host, labels, registered_at, last_seen, desired_version, enrolled_by) "
                                + "VALUES (:s, :e, :h, :labels, :now, :now, :desired, :by)")
                        .bind("labels", labels).bind("now", now.toEpochMilli()).bind("s", service).bind("e", env).bind("h", host)
                        .bind("desired", desired).bind("by", enrolment == null ? null : enrolment.tokenId()).execute();
            }
            return host(h, service, env, host).orElseThrow();
        });
    }

    /** The token that enrolled a host ("": a person registered it); empty when the host is not registered. */
    public Optional<String> enrolledBy(String service, String env, String host) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COALESCE(enrolled_by, '') FROM hosts WHERE service = :s AND environment = :e AND host = :h")
                .bind("s", service).bind("e", env).bind("h", host).mapTo(String.class).findOne());
    }

    static Problem otherCredential(String host) {
        return new Problem(403, "host_credential", "host '" + host + "' is enrolled with its own credential: only that credential "
                + "(or a token bound to the host) speaks for it");
    }

    private static Optional<HostInfo> host(Handle h, String service, String env, String host) {
        return h.createQuery("SELECT " + HOST_COLUMNS + " FROM hosts WHERE service = :s AND environment = :e AND host = :h")
                .bind("s", service).bind("e", env).bind("h", host).map((rs, ctx) -> hostRow(rs)).findOne();
    }

    public List<HostInfo> hosts(String service, String env) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + HOST_COLUMNS
                        + " FROM hosts WHERE service = :s AND environment = :e ORDER BY host")
                .bind("s", service).bind("e", env).map((rs, ctx) -> hostRow(rs)).list());
    }

    /**
     * The hosts of an environment as a release chooses among them ({@link CanaryChoice}): name, labels, registration and
     * last report; the columns a release does not look at are not read (null). A release reads all 10,000.
     */
    public List<HostInfo> candidates(String service, String env) {
        return jdbi.withHandle(h -> h.createQuery("SELECT host, labels, registered_at, last_seen FROM hosts WHERE service = :s AND environment = :e")
                .bind("s", service).bind("e", env)
                .map((rs, ctx) -> new HostInfo(service, env, rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)), instant(rs, 4),
                        null, null, null, null)).list());
    }

    /** The named hosts of an environment that are registered ({@link #CHUNK} a statement), in no order. */
    List<HostInfo> hosts(String service, String env, Collection<String> names) {
        if (names.isEmpty()) return List.of();
        List<HostInfo> out = new ArrayList<>(names.size());
        try {
            jdbi.useHandle(h -> inChunks(h.getConnection(), "SELECT " + HOST_COLUMNS + " FROM hosts WHERE service = ? AND environment = ? AND host IN ",
                    null, service, env, List.copyOf(names), rs -> out.add(hostRow(rs))));
        } catch (SQLException e) {
            throw new UnableToExecuteStatementException(e, null);
        }
        return out;
    }

    /** The hosts of an environment not yet assigned {@code version}: a release's stragglers, read without the others. */
    List<String> behind(String service, String env, int version) {
        return jdbi.withHandle(h -> h.createQuery("SELECT host FROM hosts WHERE service = :s AND environment = :e "
                        + "AND (desired_version IS NULL OR desired_version <> :v) ORDER BY host")
                .bind("s", service).bind("e", env).bind("v", version).mapTo(String.class).list());
    }

    /**
     * What changed in an environment's host rows since the last call, forgotten as it is taken. One reader (the
     * orchestrator's {@link Observations.Tracked}, whose {@code changes} decides which of a host's marks holds); what is
     * marked while it reads stays for its next call.
     */
    HostChanges takeChanged(String service, String env) {
        Set<String> reread = registered.take(service, env).keySet();
        List<HostInfo> rows = reported.take(service, env).values().stream().map(RolloutStore::reportedRow).toList();
        return new HostChanges(reread, rows);
    }

    /** The environments whose changes {@link #takeChanged} is to answer from now on (those of running rollouts). */
    void watch(Set<ChangedHosts.Env> envs) {
        registered.watch(envs);
        reported.watch(envs);
    }

    /** A host's row as a committed report left it: the columns the report set (those it does not set are not read: null). */
    private static HostInfo reportedRow(HostReports.Report r) {
        // last_seen is stored in milliseconds: the row read back holds no finer time
        return new HostInfo(r.service(), r.env(), r.host(), null, null, Instant.ofEpochMilli(r.at().toEpochMilli()), r.applied(), null,
                r.failed(), r.error(), r.failure() == null ? null : Json.read(r.failure(), AgentProtocol.HostFailure.class));
    }

    /** The host's desired version; empty when the host is not registered. */
    public Optional<HostSignals.Desired> desired(String service, String env, String host) {
        return jdbi.withHandle(h -> h.createQuery("SELECT desired_version FROM hosts WHERE service = :s AND environment = :e AND host = :h")
                .bind("s", service).bind("e", env).bind("h", host).map((rs, ctx) -> new HostSignals.Desired(integer(rs, "desired_version")))
                .findOne());
    }

    /**
     * Records reports in one transaction (one statement batch, then reads of the hosts' desired versions, up to
     * {@link #CHUNK} hosts a statement); answers the desired version of each host that is registered, by
     * {@link HostSignals.Host}. Plain JDBC: through JDBI every binding resolves its argument factories, and each distinct
     * host count is a new SQL text that JDBI parses again, which cost the report writer more than the writes.
     */
    Map<HostSignals.Host, HostSignals.Desired> report(List<HostReports.Report> reports) {
        if (reports.isEmpty()) return Map.of();
        try {
            Map<HostSignals.Host, HostSignals.Desired> desired = reportAll(reports);
            for (HostReports.Report r : reports) {
                // a host that is not registered has no row: nothing changed
                if (!desired.containsKey(r.key())) continue;
                reported.mark(r.service(), r.env(), r.host(), r);
            }
            return desired;
        } catch (SQLException e) {
            throw new UnableToExecuteStatementException(e, null);
        }
    }

    private Map<HostSignals.Host, HostSignals.Desired> reportAll(List<HostReports.Report> reports) throws SQLException {
        return jdbi.inTransaction(h -> {
            Connection c = h.getConnection();
            try (PreparedStatement update = c.prepareStatement("UPDATE hosts SET last_seen = ?, applied_version = ?, failed_version = ?, "
                    + "apply_error = ?, failure = ? WHERE service = ? AND environment = ? AND host = ?")) {
                for (HostReports.Report r : reports) {
                    update.setLong(1, r.at().toEpochMilli());
                    setInteger(update, 2, r.applied());
                    setInteger(update, 3, r.failed());
                    update.setString(4, r.error());
                    update.setString(5, r.failure());
                    update.setString(6, r.service());
                    update.setString(7, r.env());
                    update.setString(8, r.host());
                    update.addBatch();
                }
                update.executeBatch();
            }
            Map<HostSignals.Host, HostSignals.Desired> desired = new HashMap<>();
            Map<List<String>, List<String>> byEnv = new LinkedHashMap<>();
            for (HostReports.Report r : reports) {
                byEnv.computeIfAbsent(List.of(r.service(), r.env()), k -> new ArrayList<>()).add(r.host());
            }
            for (var se : byEnv.entrySet()) {
                String service = se.getKey().get(0);
                String env = se.getKey().get(1);
                inChunks(c, "SELECT host, desired_version FROM hosts WHERE service = ? AND environment = ? AND host IN ", null, service, env,
                        se.getValue(), rs -> desired.put(new HostSignals.Host(service, env, rs.getString(1)), desired(rs.getInt(2), rs.wasNull())));
            }
            return desired;
        });
    }

    /** The few versions a release's reports answer, each one object (a batch answers hundreds of hosts the same). */
    private static final HostSignals.Desired[] DESIRED = new HostSignals.Desired[64];

    private static HostSignals.Desired desired(int version, boolean none) {
        if (none) return NO_VERSION;
        int slot = Math.floorMod(version, DESIRED.length);
        HostSignals.Desired d = DESIRED[slot];
        if (d == null || d.version() != version) DESIRED[slot] = d = new HostSignals.Desired(version);
        return d;
    }

    private static final HostSignals.Desired NO_VERSION = new HostSignals.Desired(null);

    /** What a chunked statement does with each row it reads. */
    private interface RowConsumer {
        void accept(ResultSet rs) throws SQLException;
    }

    /**
     * {@code sql} followed by {@code (?, ?, ...)} for each {@link #CHUNK} of {@code hosts}: its parameters are
     * {@code version} (when {@code sql} starts with an update of it), the service, the environment, then the hosts. Rows
     * read (a query) go to {@code rows}.
     */
    private static void inChunks(Connection c, String sql, Integer[] version, String service, String env, List<String> hosts,
                                 RowConsumer rows) throws SQLException {
        for (int i = 0; i < hosts.size(); i += CHUNK) {
            List<String> part = hosts.subList(i, Math.min(hosts.size(), i + CHUNK));
            StringBuilder text = new StringBuilder(sql.length() + 2 * part.size() + 2).append(sql).append('(');
            for (int j = 0; j < part.size(); j++) text.append(j == 0 ? "?" : ",?");
            try (PreparedStatement ps = c.prepareStatement(text.append(')').toString())) {
                int n = 1;
                if (version != null) setInteger(ps, n++, version[0]);
                ps.setString(n++, service);
                ps.setString(n++, env);
                for (String host : part) ps.setString(n++, host);
                if (rows == null) {
                    ps.executeUpdate();
                } else {
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) rows.accept(rs);
                    }
                }
            }
        }
    }

    private static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) ps.setNull(index, Types.INTEGER);
        else ps.setInt(index, value);
    }

    /** A row of {@link #HOST_COLUMNS}, read by position: a release reads 10,000 of them, and a name is a lookup per column. */
    private static HostInfo hostRow(ResultSet rs) throws SQLException {
        String failure = rs.getString(11);
        return new HostInfo(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), Instant.ofEpochMilli(rs.getLong(5)),
                instant(rs, 6), integer(rs, 7), integer(rs, 8), integer(rs, 9), rs.getString(10),
                failure == null ? null : Json.read(failure, AgentProtocol.HostFailure.class));
    }

    // ------------------------------------------------------------------ rollouts

    public void insert(Tx tx, Rollout r) {
        Handle h = handle(tx);
        h.createUpdate("INSERT INTO rollouts (" + ROLLOUT_COLUMNS + ") VALUES (:id, :service, :env, :from, :to, :hosts, :policy, "
                        + ":state, :wave, :waveStarted, :created, :updated, :actor, :breakGlass, :reason)")
                .bind("id", r.id()).bind("service", r.service()).bind("env", r.env()).bind("from", r.fromVersion())
                .bind("to", r.toVersion()).bind("hosts", Json.write(r.hosts())).bind("policy", Json.write(r.policy()))
                .bind("state", r.state().name()).bind("wave", r.wave()).bind("waveStarted", r.waveStartedAt().toEpochMilli())
                .bind("created", r.createdAt().toEpochMilli()).bind("updated", r.updatedAt().toEpochMilli())
                .bind("actor", r.actor()).bind("breakGlass", r.breakGlass()).bind("reason", r.reason()).execute();
        // kept as inserted: the start's answer and the orchestrator's first tick need not parse 10,000 names back (a
        // rolled-back insert leaves an entry no row will ask for)
        fleets.put(r.id(), new Fleet(r.hosts(), r.policy()));
    }

    /** Optimistic update: false when someone else changed the rollout since {@code expectedUpdatedAt}. */
    public boolean update(Tx tx, Rollout r, Instant expectedUpdatedAt) {
        Handle h = handle(tx);
        return h.createUpdate("UPDATE rollouts SET state = :state, wave = :wave, wave_started_at = :waveStarted, updated_at = :updated, "
                        + "reason = :reason WHERE id = :id AND updated_at = :expected")
                .bind("state", r.state().name()).bind("wave", r.wave()).bind("waveStarted", r.waveStartedAt().toEpochMilli())
                .bind("updated", r.updatedAt().toEpochMilli()).bind("reason", r.reason()).bind("id", r.id())
                .bind("expected", expectedUpdatedAt.toEpochMilli()).execute() == 1;
    }

    public Optional<Rollout> rollout(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + ROLLOUT_HEAD + " FROM rollouts WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> rolloutRow(h, rs)).findOne());
    }

    public List<Rollout> active() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + ROLLOUT_HEAD + " FROM rollouts WHERE state IN ('RUNNING', 'PAUSED') "
                + "ORDER BY created_at").map((rs, ctx) -> rolloutRow(h, rs)).list());
    }

    /** Whether a rollout of the environment is running or paused. */
    public boolean running(String service, String env) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM rollouts WHERE service = :s AND environment = :e "
                + "AND state IN ('RUNNING', 'PAUSED')").bind("s", service).bind("e", env).mapTo(Integer.class).one() > 0);
    }

    public Optional<Rollout> activeFor(Tx tx, String service, String env) {
        Handle h = handle(tx);
        return h.createQuery("SELECT " + ROLLOUT_HEAD + " FROM rollouts WHERE service = :s AND environment = :e "
                        + "AND state IN ('RUNNING', 'PAUSED')").bind("s", service).bind("e", env)
                .map((rs, ctx) -> rolloutRow(h, rs)).findFirst();
    }

    public List<Rollout> rollouts(String service, String env, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + ROLLOUT_HEAD + " FROM rollouts WHERE service = :s "
                        + (env == null ? "" : "AND environment = :e ") + "ORDER BY created_at DESC LIMIT :limit")
                .bind("s", service).bind("e", env).bind("limit", limit).map((rs, ctx) -> rolloutRow(h, rs)).list());
    }

    /** A map of at most {@code kept} entries that drops the least recently read (or put) one past that; thread-safe. */
    static <K, V> Map<K, V> recentlyUsed(int kept) {
        return Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > kept;
            }
        });
    }

    private Rollout rolloutRow(Handle h, ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        Fleet fleet = fleets.get(id);
        if (fleet == null) {
            fleet = h.createQuery("SELECT hosts, policy FROM rollouts WHERE id = :id").bind("id", id)
                    .map((f, ctx) -> new Fleet(Json.read(f.getString("hosts"), List.class).stream().map(String::valueOf).toList(),
                            Json.read(f.getString("policy"), RolloutPolicy.class))).one();
            fleets.put(id, fleet);
        }
        return new Rollout(id, rs.getString("service"), rs.getString("environment"), integer(rs, "from_version"),
                rs.getInt("to_version"), fleet.hosts(), fleet.policy(), Rollout.State.valueOf(rs.getString("state")),
                rs.getInt("wave"), Instant.ofEpochMilli(rs.getLong("wave_started_at")), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")), rs.getString("actor"), rs.getString("break_glass"), rs.getString("reason"));
    }

    /** Sets the hosts' desired version; a release assigns every host of an environment, {@link #CHUNK} a statement. */
    public void assign(Tx tx, String service, String env, List<String> hosts, Integer version) {
        if (hosts.isEmpty()) return;
        try {
            inChunks(handle(tx).getConnection(), "UPDATE hosts SET desired_version = ? WHERE service = ? AND environment = ? AND host IN ",
                    new Integer[]{version}, service, env, hosts, null);
        } catch (SQLException e) {
            throw new UnableToExecuteStatementException(e, null);
        }
    }

    // ------------------------------------------------------------------ events

    public PostedEvent event(Tx tx, String service, String env, String rolloutId, RolloutEvent event, Instant at) {
        Handle h = handle(tx);
        String id = UUID.randomUUID().toString();
        EventData data = EventData.of(event);
        h.createUpdate("INSERT INTO events (id, service, environment, rollout_id, type, message, data, at) "
                        + "VALUES (:id, :s, :e, :r, :t, :m, :d, :at)")
                .bind("id", id).bind("s", service).bind("e", env).bind("r", rolloutId).bind("t", event.kind().wire())
                .bind("m", event.message()).bind("d", data.isEmpty() ? null : Json.write(data)).bind("at", at.toEpochMilli()).execute();
        return new PostedEvent(new EventRecord(id, service, env, rolloutId, event.kind().wire(), event.message(), data, at), event);
    }

    public PostedEvent event(String service, String env, String rolloutId, RolloutEvent event, Instant at) {
        return jdbi.inTransaction(h -> event(tx(h), service, env, rolloutId, event, at));
    }

    public List<EventRecord> events(String service, String rolloutId, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, service, environment, rollout_id, type, message, data, at FROM events WHERE "
                        + (rolloutId != null ? "rollout_id = :r" : "service = :s") + " ORDER BY at DESC, id LIMIT :limit")
                .bind("r", rolloutId).bind("s", service).bind("limit", limit)
                .map((rs, ctx) -> new EventRecord(rs.getString("id"), rs.getString("service"), rs.getString("environment"),
                        rs.getString("rollout_id"), rs.getString("type"), rs.getString("message"),
                        rs.getString("data") == null ? EventData.NONE : EventData.read(rs.getString("data")), Instant.ofEpochMilli(rs.getLong("at"))))
                .list());
    }


}
