package dev.rollguard.cli;

import dev.rollguard.Rollguard;
import dev.rollguard.auth.RateLimiter;
import dev.rollguard.config.Limits;
import dev.rollguard.net.OutgoingPolicy;
import dev.rollguard.sandbox.Job;
import dev.rollguard.validate.CommandValidators;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "server", description = "Run the Rollguard server (API, orchestrator) on SQLite or PostgreSQL.")
public final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--db", description = "SQLite file or postgresql://user:pass@host:port/db (env ROLLGUARD_DB; default ${DEFAULT-VALUE})",
            defaultValue = "${env:ROLLGUARD_DB:-data/rollguard.db}")
    String db;

    @Option(names = "--host", description = "Address to listen on (default ${DEFAULT-VALUE})", defaultValue = "${env:ROLLGUARD_HOST:-127.0.0.1}")
    String host;

    @Option(names = "--port", description = "Port (default ${DEFAULT-VALUE})", defaultValue = "${env:ROLLGUARD_PORT:-8080}")
    int port;

    @Option(names = "--channel-port", description = "The agents' channel on a port of its own (a WebSocket served by Netty: "
            + "the cheapest way to tell a fleet of a release); -1: none (agents use the channel on --port), 0: a free port "
            + "(env ROLLGUARD_CHANNEL_PORT; default: --port + 1, 8081)", defaultValue = "${env:ROLLGUARD_CHANNEL_PORT}")
    Integer channelPort;

    @Option(names = "--channel-url", description = "Where agents are told to open the channel (ws://host:port or wss://..., no "
            + "path), when they reach it through a proxy or another name (env ROLLGUARD_CHANNEL_URL; default: the address the "
            + "agent registered at, on --channel-port)", defaultValue = "${env:ROLLGUARD_CHANNEL_URL}")
    String channelUrl;

    @Option(names = "--max-file-bytes", description = "Largest file accepted (default ${DEFAULT-VALUE}: 16 MiB)", defaultValue = "16777216")
    long maxFileBytes;

    @Option(names = "--max-files", description = "Most files in one version (default ${DEFAULT-VALUE})", defaultValue = "50000")
    int maxFiles;

    @Option(names = "--max-tree-bytes", description = "Largest total size of one version (default ${DEFAULT-VALUE}: 256 MiB)", defaultValue = "268435456")
    long maxTreeBytes;

    @Option(names = "--public-url", description = "How people reach this server, for links in pages and webhooks (env ROLLGUARD_PUBLIC_URL; "
            + "default: the listen address)", defaultValue = "${env:ROLLGUARD_PUBLIC_URL}")
    String publicUrl;

    @Option(names = "--key-dir", description = "Where the audit and secrets key files go (env ROLLGUARD_KEY_DIR; default: next to a "
            + "SQLite database, ./data for PostgreSQL). Keep it off the database's volume and out of its backups.",
            defaultValue = "${env:ROLLGUARD_KEY_DIR}")
    Path keyDir;

    @Option(names = "--validators", description = "YAML file declaring the command validators service specs may name "
            + "(env ROLLGUARD_VALIDATORS; default: none)", defaultValue = "${env:ROLLGUARD_VALIDATORS}")
    Path validators;

    @Option(names = "--allow-outgoing", description = "Non-public addresses webhooks and Prometheus may reach, comma-separated: "
            + "loopback, private, link-local, shared, metadata, unroutable, or CIDR ranges (env ROLLGUARD_ALLOW_OUTGOING; default: "
            + "public addresses only)", defaultValue = "${env:ROLLGUARD_ALLOW_OUTGOING}")
    String allowOutgoing;

    @Option(names = "--without-sandbox", description = "Start even where bubblewrap cannot run (config tests, PHP lint and daemon "
            + "checkers skipped; recorded in the audit log). Env ROLLGUARD_WITHOUT_SANDBOX=1. Default: refuse to start",
            defaultValue = "${env:ROLLGUARD_WITHOUT_SANDBOX:-false}", fallbackValue = "true", arity = "0..1")
    boolean withoutSandbox;

    @Option(names = "--sandbox-memory-mib", description = "Memory the sandboxed checks running at once may hold together, in MiB "
            + "(each at most 2304: address space times processes plus tmpfs); more wait their turn (env ROLLGUARD_SANDBOX_MEMORY_MIB; "
            + "default: half of this machine's memory)", defaultValue = "${env:ROLLGUARD_SANDBOX_MEMORY_MIB:-0}")
    long sandboxMemoryMib;

    @Option(names = "--write-rate", description = "API writes each caller (a user, or an agent's token) may make a second once its "
            + "burst is spent; more get 429 with Retry-After (env ROLLGUARD_WRITE_RATE; default: 20)",
            defaultValue = "${env:ROLLGUARD_WRITE_RATE:-20}")
    double writeRate;

    @Option(names = "--write-burst", description = "API writes each caller may make at once (env ROLLGUARD_WRITE_BURST; default: 60)",
            defaultValue = "${env:ROLLGUARD_WRITE_BURST:-60}")
    double writeBurst;

    @Override
    public Integer call() throws Exception {
        if (sandboxMemoryMib != 0 && sandboxMemoryMib < Job.MEMORY_CEILING >> 20) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--sandbox-memory-mib: at least " + (Job.MEMORY_CEILING >> 20)
                    + " (one check's ceiling), or 0 for half of this machine's memory");
        }
        RateLimiter.Rate writes;
        try {
            writes = new RateLimiter.Rate(writeRate, writeBurst);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--write-rate/--write-burst: " + e.getMessage());
        }
        OutgoingPolicy outgoing;
        try {
            outgoing = OutgoingPolicy.parse(allowOutgoing);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--allow-outgoing: " + e.getMessage());
        }
        if (channelPort != null && (channelPort < -1 || channelPort > 65535)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--channel-port: -1 (none), 0 (a free port) or a port up to 65535");
        }
        if (channelUrl != null && !channelUrl.isBlank() && !channelUrl.matches("wss?://[^/?#]+/?")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--channel-url: ws://host:port or wss://host:port, without a path");
        }
        Limits limits = new Limits(maxFileBytes, maxFiles, maxTreeBytes);
        Rollguard.Settings settings = Rollguard.Settings.defaults().withDatabase(db).withPort(port).withLimits(limits)
                .withMaxBodyBytes(Math.max(maxTreeBytes * 2, 16L * 1024 * 1024));
        settings = settings.withHost(host).withPublicUrl(publicUrl == null || publicUrl.isBlank() ? null
                : publicUrl.replaceAll("/+$", ""));
        settings = settings.withBootstrapToken(System.getenv("ROLLGUARD_BOOTSTRAP_TOKEN"));
        if (keyDir != null) settings = settings.withKeyDir(keyDir);
        settings = settings.withChannelPort(channelPort != null ? channelPort : Rollguard.Settings.channelPortBeside(port)).withChannelUrl(channelUrl);
        settings = settings.withOutgoing(outgoing).startingWithoutSandbox(withoutSandbox).withSandboxMemory(sandboxMemoryMib << 20)
                .withWriteRate(writes);
        if (validators != null) settings = settings.withValidators(CommandValidators.load(validators));
        Rollguard server = Rollguard.start(settings);
        if (server.bootstrapToken() != null && System.getenv("ROLLGUARD_BOOTSTRAP_TOKEN") == null) {
            System.err.println("first start: created user 'admin' (admin on every service). Its token, shown only this once:");
            System.err.println();
            System.err.println("    export ROLLGUARD_TOKEN=" + server.bootstrapToken());
            System.err.println();
            System.err.println("Sign in to the dashboard as 'admin' with it; make more users and tokens with 'rollguard user' and 'rollguard token'.");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        System.err.println("rollguard server listening on http://" + host + ":" + server.port() + (server.channelPort() < 0 ? ""
                : ", the agents' channel on ws://" + host + ":" + server.channelPort()) + " (database: " + server.database().description() + ")");
        stopped.await();
        return 0;
    }
}
