package dev.rollguard.audit;

import dev.rollguard.Problem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The key of the audit chain, kept outside the database: whoever can write the database but not read this key cannot
 * rewrite the log so that it verifies. From {@code ROLLGUARD_AUDIT_KEY} (at least 32 characters; several servers on
 * one database must share it), else from its file ({@link dev.rollguard.storage.KeyFiles}: {@code <db>.audit-key} next to
 * a SQLite database, {@code audit.key} in the key directory for PostgreSQL), created with 32 random bytes and mode 0600
 * on the first start of an empty log.
 * A log that has records and no key file is refused: a new key would seal whatever the log holds now, so someone who
 * rewrote it with plain hashes and deleted the key would see it verify.
 */
public record AuditKey(byte[] bytes, Path file, boolean created) {
    public static final String ENV = "ROLLGUARD_AUDIT_KEY";

    /** {@code file}: where the key lives; {@code records}: how many the log holds (a key file may be made only for an empty log). */
    public static AuditKey load(String database, Path file, String fromEnvironment, long records) {
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            if (fromEnvironment.strip().length() < 32) {
                throw new Problem(500, "invalid_audit_key", ENV + " must have at least 32 characters");
            }
            return new AuditKey(fromEnvironment.strip().getBytes(StandardCharsets.UTF_8), null, false);
        }
        if (records > 0 && !Files.exists(file)) {
            throw new Problem(500, "audit_key_missing", "the audit log of " + database + " holds " + records + " record(s) but its key file "
                    + file.toAbsolutePath() + " is missing: restore it from your backup of the key; refusing to start rather than "
                    + "make a new key that would seal whatever the log holds now. (A log written before audit keys existed: set "
                    + ENV + " to a new key of 32+ characters to seal it once, then keep that key.)");
        }
        return fromFile(file);
    }

    static AuditKey fromFile(Path file) {
        try {
            if (Files.exists(file)) return new AuditKey(read(file), file, false);
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            } catch (FileAlreadyExistsException e) {
                // another server on this machine made it first
                return new AuditKey(read(file), file, false);
            }
            Files.writeString(file, Base64.getEncoder().encodeToString(key) + "\n");
            return new AuditKey(key, file, true);
        } catch (IOException e) {
            throw new Problem(500, "audit_key_unavailable", "cannot read or create the audit key " + file + ": " + e.getMessage()
                    + " (or set " + ENV + ")");
        }
    }

    private static byte[] read(Path file) throws IOException {
        String text = Files.readString(file).strip();
        try {
            byte[] key = Base64.getDecoder().decode(text);
            if (key.length >= 16) return key;
        } catch (IllegalArgumentException e) {
            // not base64: the text itself is the key
        }
        if (text.length() < 32) throw new IOException("the key file holds fewer than 32 characters");
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
