package dev.rollguard;

import dev.rollguard.audit.AuditKey;
import dev.rollguard.audit.AuditLog;
import dev.rollguard.audit.AuditStore;
import dev.rollguard.auth.AuthService;
import dev.rollguard.auth.AuthStore;
import dev.rollguard.auth.Permission;
import dev.rollguard.auth.RateLimiter;
import dev.rollguard.config.Limits;
import dev.rollguard.health.HealthStore;
import dev.rollguard.incident.IncidentService;
import dev.rollguard.incident.IncidentStore;
import dev.rollguard.incident.Notifier;
import dev.rollguard.metrics.OperationalMetrics;
import dev.rollguard.net.Outgoing;
import dev.rollguard.net.OutgoingPolicy;
import dev.rollguard.prometheus.PrometheusClient;
import dev.rollguard.prometheus.PrometheusSource;
import dev.rollguard.rollout.AgentService;
import dev.rollguard.rollout.HostRegistry;
import dev.rollguard.rollout.HostSignals;
import dev.rollguard.rollout.Observations;
import dev.rollguard.rollout.Orchestrator;
import dev.rollguard.rollout.RolloutService;
import dev.rollguard.rollout.RolloutStore;
import dev.rollguard.sandbox.Sandbox;
import dev.rollguard.secrets.AesGcmSealer;
import dev.rollguard.secrets.KeyRing;
import dev.rollguard.secrets.Sealer;
import dev.rollguard.secrets.SecretsKeys;
import dev.rollguard.secrets.SecretsService;
import dev.rollguard.secrets.SecretsStore;
import dev.rollguard.storage.Database;
import dev.rollguard.storage.Duty;
import dev.rollguard.storage.KeyFiles;
import dev.rollguard.storage.Leases;
import dev.rollguard.storage.Replication;
import dev.rollguard.storage.StorageHealth;
import dev.rollguard.validate.CommandValidators;
import dev.rollguard.validate.PhpLintCache;
import dev.rollguard.validate.Validation;
import dev.rollguard.versions.Bundles;
import dev.rollguard.versions.ConfigService;
import dev.rollguard.versions.ConfigStore;
import dev.rollguard.web.Access;
import dev.rollguard.web.AgentChannel;
import dev.rollguard.web.ApiServer;
import dev.rollguard.web.AuthRoutes;
import dev.rollguard.web.ChannelAddress;
import dev.rollguard.web.ConfigRoutes;
import dev.rollguard.web.Dashboard;
import dev.rollguard.web.IncidentRoutes;
import dev.rollguard.web.NettyChannel;
import dev.rollguard.web.RolloutRoutes;
import dev.rollguard.web.SecretsRoutes;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/** The server, wired with plain constructors: the one place that knows every part. */
public final class Rollguard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Rollguard.class);
    /**
     * {@code tick}: how often the orchestrator looks at running rollouts. {@code publicUrl}: how people reach this
     * server (links in pages and webhooks); null means the address it listens on. {@code channelPort}: the agents'
     * channel's own port ({@link #withChannelPort}), {@code channelUrl} where agents are told to open it ({@link #withChannelUrl}).
     */
    public record Settings(String database, String host, int port, Limits limits, long maxBodyBytes, Duration tick, String publicUrl,
                           String bootstrapToken, CommandValidators validators, OutgoingPolicy outgoing, boolean withoutSandbox,
                           Path keyDir, long sandboxMemory, RateLimiter.Rate writeRate, Duration databaseWait, int channelPort,
                           String channelUrl) {
        public Settings(String database, String host, int port, Limits limits, long maxBodyBytes) {
            this(database, host, port, limits, maxBodyBytes, Duration.ofMillis(200), null, null, CommandValidators.none(), OutgoingPolicy.PUBLIC_ONLY, false,
                    null, 0, RateLimiter.Rate.WRITES, Database.DEFAULT_WAIT, 0, null);
        }

        public Settings(String database, String host, int port, Limits limits, long maxBodyBytes, Duration tick, String publicUrl) {
            this(database, host, port, limits, maxBodyBytes, tick, publicUrl, null, CommandValidators.none(), OutgoingPolicy.PUBLIC_ONLY, false, null, 0,
                    RateLimiter.Rate.WRITES, Database.DEFAULT_WAIT, 0, null);
        }

        /**
         * The channel's port by default ({@code rollguard server}, {@link #defaults}): the API's next one (8081 beside 8080),
         * so two servers on one machine started on different ports do not clash; a free one when the API's is (0). Servers
         * made in process (tests, benchmarks) take a free one: a port next to a free one need not be free.
         */
        public static int channelPortBeside(int apiPort) {
            return apiPort == 0 ? 0 : apiPort + 1;
        }

        public static Settings defaults() {
            // a push carries files as base64 (4/3 of their size) in JSON: twice the tree limit leaves room for both
            return new Settings("data/rollguard.db", "127.0.0.1", 8080, Limits.DEFAULT, 2 * Limits.DEFAULT.maxTreeBytes())
                    .withChannelPort(channelPortBeside(8080));
        }

        public Settings withDatabase(String db) { return with(c -> c.database = db); }
        public Settings withHost(String h) { return with(c -> c.host = h); }
        public Settings withPort(int p) { return with(c -> c.port = p); }
        public Settings withLimits(Limits l) { return with(c -> c.limits = l); }
        public Settings withMaxBodyBytes(long b) { return with(c -> c.maxBodyBytes = b); }
        public Settings withPublicUrl(String u) { return with(c -> c.publicUrl = u); }
        /** The first admin's token on a first start (else a random one is made and printed once). */
        public Settings withBootstrapToken(String t) { return with(c -> c.bootstrapToken = t); }
        /** The command validators the operator declared (service specs name them). */
        public Settings withValidators(CommandValidators v) { return with(c -> c.validators = v); }
        /** Which non-public addresses webhooks and Prometheus may reach (none by default). */
        public Settings withOutgoing(OutgoingPolicy o) { return with(c -> c.outgoing = o); }
        /**
         * Start even where the sandbox cannot run (config tests, PHP lint and daemon checkers are then skipped, declared
         * command validators block); the start is recorded in the audit log. Without it such a server refuses to start.
         */
        public Settings startingWithoutSandbox(boolean w) { return with(c -> c.withoutSandbox = w); }
        /**
         * Where the audit and secrets key files live ({@code audit.key}, {@code secrets.key}); null: next to the SQLite
         * file, or {@code ./data} for PostgreSQL (see {@link KeyFiles}).
         */
        public Settings withKeyDir(Path d) { return with(c -> c.keyDir = d); }

        /**
         * What the sandboxed checks running at once may hold together, in bytes (each at most {@code Job.MEMORY_CEILING});
         * 0: half of this machine's memory ({@code Slots.defaultMemoryBudget}).
         */
        public Settings withSandboxMemory(long bytes) { return with(c -> c.sandboxMemory = bytes); }

        /** How many API writes each caller (a user, or an agent's token) may make: a burst, then so many a second. */
        public Settings withWriteRate(RateLimiter.Rate r) { return with(c -> c.writeRate = r); }

        /** How long a request waits for a free database connection before it is answered 503 database_busy. */
        public Settings withDatabaseWait(Duration d) { return with(c -> c.databaseWait = d); }

        /**
         * The agents' channel on a port of its own (Netty; the API's port keeps its channel too): -1 off, 0 a free port,
         * else that port.
         */
        public Settings withChannelPort(int p) { return with(c -> c.channelPort = p); }

        /**
         * Where agents are told to open the channel (ws:// or wss://, no path), for agents that reach this server through a
         * proxy or an address of another name; null: the address the agent registered at, on the channel's port.
         */
        public Settings withChannelUrl(String u) { return with(c -> c.channelUrl = u); }

        /** Where this server's key files are. */
        public KeyFiles keyFiles() { return KeyFiles.of(database, keyDir); }

        /** This with what {@code change} sets on a copy: each wither names its own field, none repeats the others. */
        private Settings with(Consumer<Copy> change) {
            Copy c = new Copy(this);
            change.accept(c);
            return c.settings();
        }

        /** The settings' fields, open to change one at a time. */
        private static final class Copy {
            String database;
            String host;
            int port;
            Limits limits;
            long maxBodyBytes;
            Duration tick;
            String publicUrl;
            String bootstrapToken;
            CommandValidators validators;
            OutgoingPolicy outgoing;
            boolean withoutSandbox;
            Path keyDir;
            long sandboxMemory;
            RateLimiter.Rate writeRate;
            Duration databaseWait;
            int channelPort;
            String channelUrl;

            Copy(Settings s) {
                database = s.database;
                host = s.host;
                port = s.port;
                limits = s.limits;
                maxBodyBytes = s.maxBodyBytes;
                tick = s.tick;
                publicUrl = s.publicUrl;
                bootstrapToken = s.bootstrapToken;
                validators = s.validators;
                outgoing = s.outgoing;
                withoutSandbox = s.withoutSandbox;
                keyDir = s.keyDir;
                sandboxMemory = s.sandboxMemory;
                writeRate = s.writeRate;
                databaseWait = s.databaseWait;
                channelPort = s.channelPort;
                channelUrl = s.channelUrl;
            }

            Settings settings() {
                return new Settings(database, host, port, limits, maxBodyBytes, tick, publicUrl, bootstrapToken, validators, outgoing,
                        withoutSandbox, keyDir, sandboxMemory, writeRate, databaseWait, channelPort, channelUrl);
            }
        }
    }

    private final Database database;
    private final ConfigService config;
    private final RolloutService rollouts;
    private final HostRegistry hosts;
    private final Orchestrator orchestrator;
    private final PrometheusSource prometheus;
    private final ApiServer api;
    /** The agents' channel on its own port (null: off). */
    private final NettyChannel channel;
    private final IncidentService incidents;
    private final AuthService auth;
    private final AuditLog audit;
    private final String bootstrapToken;
    /** This server among several on one database. */
    private final String replica = UUID.randomUUID().toString();
    private final List<Duty> duties;
    private final Replication replication;
    private final Sandbox sandbox;
    private final Validation validation;
    private final SecretsService secrets;

    public Rollguard(Settings settings, Clock clock) {
        // a busy port is found before anything is opened or created: no database file left behind, one clear line
        if (settings.port() != 0) requireFreePort(settings.host(), settings.port(), "--port");
        if (settings.channelPort() > 0) requireFreePort(settings.host(), settings.channelPort(), "--channel-port (or -1: no channel port)");
        // external validators run only in the sandbox: without it a server would pass versions its checks never saw,
        // so it does not start unless the operator said so (and that is audited below)
        this.sandbox = Sandbox.detect(settings.sandboxMemory());
        if (!sandbox.available() && !settings.withoutSandbox()) {
            sandbox.close();
            throw new Problem(500, "sandbox_unavailable", "refusing to start: " + sandbox.unavailableReason() + ". Config tests, "
                    + "PHP lint and daemon checkers would be skipped. Install bubblewrap, or start with --without-sandbox "
                    + "(ROLLGUARD_WITHOUT_SANDBOX=1; recorded in the audit log) to run with the built-in checks only");
        }
        this.database = Database.open(settings.database(), settings.databaseWait());
        AuditStore auditStore = new AuditStore(database.jdbi());
        AuditKey auditKey;
        try {
            this.secrets = startSecrets(settings, clock);
            auditKey = AuditKey.load(settings.database(), settings.keyFiles().audit(), System.getenv(AuditKey.ENV), auditStore.count());
        } catch (RuntimeException e) {
            // a missing or wrong key: nothing is served, the reason is the one line the operator sees
            database.close();
            sandbox.close();
            throw e;
        }
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (sandbox.available()) log.info(sandbox.describe());
        else log.warn(sandbox.describe());
        this.validation = Validation.standard(sandbox, settings.validators() == null ? CommandValidators.none() : settings.validators(),
                false, PhpLintCache.inMemory(50_000));
        this.config = new ConfigService(new ConfigStore(database.jdbi(), secrets.sealer()), validation, settings.limits(), clock);
        config.scrubWith(this::scrubBlobs);
        // secret values of rollguard.values.yaml: checked at push, opened only into an enrolled agent's bundle
        config.secretsWith(secrets.sealer());
        secrets.resealWith(new SecretsService.Resealer() {
            @Override public String name() { return "files"; }
            @Override public int resealWithCurrentKey() { return config.resealSecretFiles(); }
            @Override public boolean keepsOlderEnvelopes() { return config.keepsEnvelopesOfOlderKeys(); }
        });
        int sealedNow = config.sealSecretFiles();
        if (sealedNow > 0) {
            log.info("secrets: sealed {} stored file(s) that held a secret in plain text", sealedNow);
            database.scrub("blobs");
        }
        secrets.resealOlder();
        HealthStore health = new HealthStore();
        RolloutStore rolloutStore = new RolloutStore(database.jdbi());
        HostSignals signals = new HostSignals();
        this.hosts = new HostRegistry(config, rolloutStore, health, signals, clock);
        Observations observations = new Observations(rolloutStore, health, clock);
        this.orchestrator = new Orchestrator(database, config, rolloutStore, signals, observations, clock);
        this.rollouts = new RolloutService(config, rolloutStore, health, orchestrator, observations, clock);
        IncidentStore incidentStore = new IncidentStore(database.jdbi());
        Outgoing outgoing = new Outgoing(settings.outgoing());
        log.info(settings.outgoing().describe());
        Notifier notifier = new Notifier(incidentStore, clock, outgoing);
        // the link base is known once the port is: a holder filled after start
        String[] base = {settings.publicUrl()};
        this.incidents = new IncidentService(database, config, rollouts, health, incidentStore, notifier, clock, () -> base[0]);
        // several servers may share one database: each background duty runs on the holder of its lease
        Leases leases = new Leases(database.jdbi(), clock, replica);
        Duty orchestrating = new Duty(leases, "orchestrator");
        Duty monitor = new Duty(leases, "incident-monitor");
        Duty webhooks = new Duty(leases, "webhooks");
        duties = List.of(orchestrating, monitor, webhooks);
        orchestrator.runOnlyWhen(orchestrating);
        // replicas sharing PostgreSQL each write their own agents' reports: only a lone server sees every change itself
        orchestrator.soleWriter(database.kind() != Database.Kind.POSTGRESQL);
        prometheus = new PrometheusSource(config, rollouts, health, new PrometheusClient(outgoing), clock);
        prometheus.runOnlyWhen(orchestrating);
        orchestrator.watchGaps(prometheus);
        OperationalMetrics operational = new OperationalMetrics(metrics, config, rollouts, notifier, prometheus);
        incidents.runOnlyWhen(monitor);
        notifier.runOnlyWhen(webhooks);
        if (database.kind() == Database.Kind.POSTGRESQL) {
            replication = new Replication(database, clock, replica);
            orchestrator.announceWith(replication::announce);
            replication.listen(c -> hosts.changedElsewhere(c.service(), c.env(), c.hosts()));
            health.onReport(replication::publish);
            replication.copyInto(health, new Duty(leases, "health-prune"));
        } else {
            replication = null;
        }
        this.auth = new AuthService(database, new AuthStore(database.jdbi()), clock);
        this.audit = new AuditLog(database, auditStore, clock, auditKey.bytes());
        audit.sealUnkeyedPast(auditKey);
        audit.requireRecordsOf(config::versionAuditRecords);
        if (!sandbox.available()) {
            audit.append("rollguard-server", null, "START --without-sandbox", "/sandbox", 200, null,
                    Json.write(Map.of("reason", sandbox.unavailableReason())));
        }
        config.auditWith((tx, actor, source, action, target, after) -> audit.append(tx, actor, source, action, target, 201, null, after).seq());
        this.bootstrapToken = auth.bootstrap(settings.bootstrapToken()).orElse(null);
        rollouts.requireApprovals(auth::approvers, auth::approvedVersions);
        StorageHealth storage = new StorageHealth(database.kind() == Database.Kind.SQLITE
                ? Path.of(settings.database().startsWith("sqlite:") ? settings.database().substring(7) : settings.database()).toAbsolutePath().getParent()
                : null, clock);
        var bundles = new Bundles(config, 64L << 20);
        AgentService agents = new AgentService(hosts, bundles);
        ChannelAddress channelAddress = new ChannelAddress(settings.channelUrl());
        // what the channel's own port needs from the API's routes: its gate and the channel's logic, made with them
        Access[] gate = new Access[1];
        AgentChannel[] channelLogic = new AgentChannel[1];
        this.api = new ApiServer(settings.maxBodyBytes(), metrics, operational::refresh, server -> {
            gate[0] = Access.install(server, auth, audit, rollouts, incidents, new RateLimiter(settings.writeRate()));
            channelLogic[0] = RolloutRoutes.registerAgentProtocol(server, agents, channelAddress);
            AuthRoutes.register(server, auth, audit, config);
            server.onStorageFull(storage::failed);
            server.get("/api/v1/health", Permission.PUBLIC, ctx -> {
                boolean full = storage.status() == StorageHealth.Status.FULL;
                // the request bodies' memory budget: a budget that stays taken is what makes every body wait and fail
                ApiServer.json(ctx.status(full ? 503 : 200), Map.of("status", full ? "failing" : "ok",
                        "database", database.kind().name().toLowerCase(), "storage", full ? "full" : "ok", "bodyBudget", server.bodyBudget()));
            });
            ConfigRoutes.register(server, config, bundles);
            RolloutRoutes.register(server, rollouts);
            IncidentRoutes.register(server, incidents);
            Dashboard.register(server, config, rollouts, incidents, audit, clock);
            SecretsRoutes.register(server, secrets);
        });
        NettyChannel channelServer = null;
        try {
            if (settings.channelPort() >= 0) {
                // before the API: an agent that registers is told the channel's port, and finds it open
                channelServer = NettyChannel.start(settings.host(), settings.channelPort(), NettyChannel.threads(), gate[0], channelLogic[0]);
                channelAddress.listening(channelServer.port());
            }
            api.start(settings.host(), settings.port());
            if (base[0] == null) base[0] = "http://" + settings.host() + ":" + api.port();
            orchestrator.startLoop(settings.tick());
            prometheus.start(Duration.ofMillis(250));
            incidents.start(Duration.ofMillis(250));
        } catch (RuntimeException e) {
            if (channelServer != null) channelServer.close();
            prometheus.close();
            orchestrator.close();
            hosts.close();
            incidents.close();
            validation.close();
            sandbox.close();
            database.close();
            throw new Problem(500, "cannot_listen", "cannot listen on " + settings.host() + ":" + settings.port()
                    + (settings.channelPort() >= 0 ? " (the agents' channel: " + settings.channelPort() + ")" : "") + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
        this.channel = channelServer;
    }

    private SecretsService startSecrets(Settings settings, Clock clock) {
        SecretsStore store = new SecretsStore(database.jdbi());
        AesGcmSealer sealer = SecretsKeys.open(settings.database(), settings.keyFiles().secrets(), System.getenv(KeyRing.ENV), store, clock);
        return new SecretsService(sealer, store, clock, this::scrubBlobs);
    }

    /** After rows were sealed in place while serving: a failed scrub (a busy database) is retried at the next seal. */
    private void scrubBlobs() {
        try {
            database.scrub("blobs");
        } catch (RuntimeException e) {
            log.warn("secrets: could not compact the database after sealing ({}); old pages stay until the next one", e.getMessage());
        }
    }

    private static void requireFreePort(String host, int port, String option) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as the web server binds: a port in TIME_WAIT is free
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new Problem(500, "cannot_listen", "cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "): another server runs there? choose another with " + option);
        }
    }

    public static Rollguard start(Settings settings) {
        return new Rollguard(settings, Clock.systemUTC());
    }

    public int port() { return api.port(); }
    /** The agents' channel's own port (-1: off). */
    public int channelPort() { return channel == null ? -1 : channel.port(); }
    public String url() { return "http://127.0.0.1:" + api.port(); }
    public ConfigService config() { return config; }
    public RolloutService rollouts() { return rollouts; }
    public HostRegistry hosts() { return hosts; }
    public Orchestrator orchestrator() { return orchestrator; }
    public IncidentService incidents() { return incidents; }
    public String replica() { return replica; }
    public AuthService auth() { return auth; }
    public AuditLog audit() { return audit; }
    /** Seals what is stored at rest; opens it only where it is delivered. */
    public Sealer sealer() { return secrets.sealer(); }
    public SecretsService secrets() { return secrets; }

    /** Every route with the permission it declares. */
    public List<ApiServer.Route> routes() { return api.routes(); }

    /** The first admin's token when this start created it (a first start), else null: shown once. */
    public String bootstrapToken() { return bootstrapToken; }
    public Database database() { return database; }

    @Override
    public void close() {
        // stop taking requests first, so no request reaches storage after it closes
        if (channel != null) channel.close();
        api.stop();
        prometheus.close();
        orchestrator.close();
        hosts.close();
        incidents.close();
        if (replication != null) replication.close();
        // hand the duties over at once instead of after the lease expires
        duties.forEach(Duty::release);
        validation.close();
        sandbox.close();
        database.close();
    }
}
