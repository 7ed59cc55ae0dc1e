package dev.rollguard.cli;

import dev.rollguard.Problem;
import dev.rollguard.client.ApiClient;
import dev.rollguard.config.TreeLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

@Command(name = "rollguard", mixinStandardHelpOptions = true, version = "rollguard 0.1.0",
        description = "Safe configuration changes: validate, version, stage, roll back.")
public final class Main implements Runnable {
    /**
     * The commands, in the order {@code --help} lists them. Not in the {@code @Command} annotation: picocli would build
     * every command's model (reflection over each one's options and sub-commands) on every call, most of a CLI call's
     * start-up; {@link #commandLine(Predicate)} builds only the ones a command line names.
     */
    static final List<Class<?>> COMMANDS = List.of(ServerCommand.class, ValidateCommand.class, ServiceCommand.class,
            ServicesCommand.class, PushCommand.class, VersionsCommand.class, ShowCommand.class, DiffCommand.class, FixCommand.class,
            ReleaseCommand.class, EnvsCommand.class, RolloutsCommand.class, RolloutCommand.class, RollbackCommand.class,
            HostsCommand.class, IncidentsCommand.class, IncidentCommand.class, PostmortemCommand.class, ActionsCommand.class,
            DemoCommand.class, UserCommand.class, TokenCommand.class, EnrolCommand.class, SealCommand.class, ApproveCommand.class,
            AuditCommand.class, SecretsCommand.class, BackupCommand.class, AgentCommand.class, SimulateCommand.class,
            BenchCommand.class, CommandLine.HelpCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** Every command built in full: what tests walk (help texts, the README's commands). */
    public static CommandLine commandLine() {
        return commandLine(name -> true);
    }

    /**
     * The CLI with the commands {@code built} accepts (by name or alias) built in full, the others as outlines: name,
     * aliases and the lines {@code --help} lists, no options. A command line that names a command gets that command
     * whole; one that names none (a typo, {@code --help}) sees every command's name, for the listing and for "did you
     * mean". So parsing and output are those of the full tree, for the price of the commands actually named.
     */
    static CommandLine commandLine(Predicate<String> built) {
        return commandLine(built, true);
    }

    /**
     * The CLI {@code main} builds for {@code args}. A command line whose first word is a command (other than {@code help},
     * which lists them) never consults the other commands: picocli hands every later word to that command, so they are
     * not even outlined. Anything else (a typo, an option first, {@code help}) sees every command's outline.
     */
    static CommandLine forArgs(String... args) {
        // every command whole only where asked: the launcher's training runs list the classes of all of them for its archive
        Predicate<String> built = Boolean.getBoolean("rollguard.cli.eager") ? name -> true : List.of(args)::contains;
        if (args.length > 0 && !args[0].startsWith("-") && !args[0].equals("help")) {
            CommandLine alone = commandLine(built, false);
            if (alone.getSubcommands().containsKey(args[0])) return alone;
        }
        return commandLine(built, true);
    }

    private static CommandLine commandLine(Predicate<String> built, boolean outlines) {
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> c : COMMANDS) {
            Command a = c.getAnnotation(Command.class);
            if (built.test(a.name()) || Arrays.stream(a.aliases()).anyMatch(built)) {
                cl.addSubcommand(c);
            } else if (outlines) {
                CommandLine.Model.CommandSpec outline = CommandLine.Model.CommandSpec.create().name(a.name()).aliases(a.aliases());
                outline.usageMessage().header(a.header()).description(a.description()).hidden(a.hidden());
                cl.addSubcommand(a.name(), outline, a.aliases());
            }
        }
        addHelp(cl);
        Handlers handlers = new Handlers();
        cl.setExecutionStrategy(handlers);
        cl.setParameterExceptionHandler(handlers);
        cl.setExecutionExceptionHandler(handlers);
        return cl;
    }

    /**
     * How a parsed command line runs and how its errors are told. A class, not lambdas: picocli's interfaces are of an old
     * class-file version, which the class-data archive (bin/rollguard) keeps only if nothing links them while it is made,
     * and the JDK links them to make a lambda's class there; left out, they and picocli's RunLast are read from the jar on
     * every call, which opens the jar's 15,000-entry directory once more.
     */
    private static final class Handlers implements CommandLine.IExecutionStrategy, CommandLine.IParameterExceptionHandler,
            CommandLine.IExecutionExceptionHandler {
        // an argument no command takes is a usage error even next to --version or --help, which picocli would otherwise
        // answer instead: `rollguard relase --version 3` must not print the version and exit 0 as if a release started
        @Override
        public int execute(CommandLine.ParseResult parseResult) {
            for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
                if (!p.unmatched().isEmpty()) throw new CommandLine.UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
            }
            return new CommandLine.RunLast().execute(parseResult);
        }

        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            return usageError(ex, args);
        }

        @Override
        public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
            cmd.getErr().println("rollguard: " + message(ex));
            if (System.getenv("ROLLGUARD_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            // a directory argument that cannot be read at all is a usage error, like a missing argument
            return ex instanceof CommandLine.ParameterException || ex instanceof TreeLoader.UnreadableDirectory ? 2 : 1;
        }
    }

    /** {@code -h/--help} on every command (the standard mixin would also bring {@code --version}, which some commands use). */
    private static void addHelp(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            var spec = sub.getCommandSpec();
            if (spec.findOption("--help") == null && spec.findOption("-h") == null) {
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help message and exit.").build());
            }
            addHelp(sub);
        }
    }

    /** A usage error: one line saying what is wrong (and the likely meant command or option), where to read more; exit 2. */
    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        cmd.getErr().println("rollguard: " + Usage.describe(ex));
        cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        return 2;
    }

    /** Parses and runs one command line; global options given before the command are read as the command's. */
    public static int execute(CommandLine cl, String... args) {
        return cl.execute(Usage.globalOptionsAfterCommand(args, cl.getSubcommands().keySet()));
    }

    static String message(Throwable ex) {
        if (ex instanceof ApiClient.ApiException a) return a.getMessage() + " [" + a.code() + "]";
        if (ex instanceof Problem p) return p.getMessage() + " [" + p.code() + "]";
        if (ex instanceof UncheckedIOException u) return u.getMessage();
        String m = ex.getMessage();
        return m == null || m.isBlank() ? ex.getClass().getSimpleName() : m;
    }

    private static final String RESTRICTED_HEADERS = "jdk.httpclient.allowRestrictedHeaders";
    private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    public static void main(String[] args) {
        // with fewer than three CPUs the JDK's common pool is no pool at all: every async completion (each response of
        // the JDK's HTTP client, among others) starts a thread of its own, which costs more than the work it runs
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() < 3) {
            System.setProperty(COMMON_POOL_PARALLELISM, "2");
        }
        // before any HTTP request is built: a request pinned to the address its URL's name was checked at keeps the name
        // in its Host header (net/Outgoing), which the JDK's client refuses unless told
        if (System.getProperty(RESTRICTED_HEADERS) == null) System.setProperty(RESTRICTED_HEADERS, "host");
        // the usage as the build rendered it: no model to build for the call a hook or CI step makes most
        if (ServedHelp.serve(args, System.out)) System.exit(0);
        System.exit(execute(forArgs(args), args));
    }
}
