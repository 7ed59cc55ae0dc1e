package dev.rollguard.cli;

import dev.rollguard.storage.Backup;
import dev.rollguard.storage.KeyFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "backup", description = "Copy the SQLite database while the server runs (a consistent snapshot; secrets stay sealed, the keys are not in it).")
public final class BackupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--db", description = "SQLite file (env ROLLGUARD_DB; default ${DEFAULT-VALUE})", defaultValue = "${env:ROLLGUARD_DB:-data/rollguard.db}")
    String db;

    @Option(names = "--key-dir", description = "Where the server's key files are, if it was given one (env ROLLGUARD_KEY_DIR; "
            + "default: next to the database)", defaultValue = "${env:ROLLGUARD_KEY_DIR}")
    Path keyDir;

    @Option(names = "--to", required = true, description = "The backup file to write (must not exist)")
    Path to;

    @Option(names = "--json", description = "Print JSON")
    boolean json;

    @Override
    public Integer call() {
        if (db.startsWith("postgres") || db.startsWith("jdbc:")) {
            spec.commandLine().getErr().println("rollguard backup copies a SQLite database; for PostgreSQL use pg_dump (secrets in it stay sealed)");
            return 2;
        }
        Path database = Path.of(db.startsWith("sqlite:") ? db.substring(7) : db);
        long bytes = Backup.sqlite(database, to);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backup", to.toAbsolutePath().toString());
        out.put("bytes", bytes);
        KeyFiles files = KeyFiles.of(db, keyDir);
        List<Path> keys = List.of(files.secrets(), files.audit());
        out.put("keysToKeepApart", keys.stream().map(k -> k.toAbsolutePath().toString()).toList());
        if (json) {
            Output.json(spec.commandLine().getOut(), out);
        } else {
            spec.commandLine().getOut().println("backup written: " + to + " (" + bytes + " bytes)");
            spec.commandLine().getOut().println("not in it: the keys " + keys.get(0) + " and " + keys.get(1) + "; keep a copy of them apart from backups");
        }
        return 0;
    }
}
