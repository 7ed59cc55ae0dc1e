package dev.rollguard.secrets;

import dev.rollguard.Problem;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The secrets keys, kept outside the database (as the audit key is): whoever copies the database, its WAL or a backup
 * without this file holds only envelopes. One key a line, {@code <id> <base64 of 32 bytes>}; the last line is the
 * current key (new envelopes), the others stay to open what they sealed. From {@code ROLLGUARD_SECRETS_KEY} (the same
 * text; lines may be separated by {@code ;}), else from its file ({@link dev.rollguard.storage.KeyFiles}:
 * {@code <db>.secrets-key} next to a SQLite database, {@code secrets.key} in the key directory for PostgreSQL), created
 * with mode 0600 on the first start of a database that holds no sealed data yet.
 */
public record KeyRing(List<Key> keys, Path file) {
    public static final String ENV = "ROLLGUARD_SECRETS_KEY";

    public record Key(String id, byte[] bytes) {
        public Key {
            if (!id.matches("[A-Za-z0-9_-]{1,40}")) throw new IllegalArgumentException("a secrets key id is letters, digits, - and _: " + id);
            if (bytes.length != 32) throw new IllegalArgumentException("secrets key " + id + " is not 32 bytes (AES-256)");
        }
    }

    public KeyRing {
        keys = List.copyOf(keys);
        if (keys.isEmpty()) throw new IllegalArgumentException("a key ring holds at least one key");
    }

    public Key current() { return keys.get(keys.size() - 1); }

    public Optional<Key> find(String id) {
        return keys.stream().filter(k -> k.id().equals(id)).findFirst();
    }

    public List<String> ids() { return keys.stream().map(Key::id).toList(); }

    /** Where the ring came from, for messages (never its content). */
    public String source() { return file == null ? ENV : file.toString(); }

    /**
     * The ring of a database: from the environment text when set, else from its file. {@code mayCreate} is false once the
     * database holds anything sealed: a missing file then is an error naming the file, never a new key made silently
     * (which would leave every stored secret unopenable and the loss unnoticed until a delivery).
     */
    public static KeyRing load(String database, Path file, String fromEnvironment, boolean mayCreate) {
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            try {
                return new KeyRing(parse(fromEnvironment.replace(';', '\n')), null);
            } catch (IllegalArgumentException e) {
                throw new Problem(500, "invalid_secrets_key", ENV + ": " + e.getMessage());
            }
        }
        if (Files.exists(file)) return read(file);
        if (!mayCreate) {
            throw new Problem(500, "secrets_key_missing", "the database " + database + " was sealed with secrets keys from "
                    + file.toAbsolutePath() + ", which is missing: restore it from your backup of the key (or set " + ENV
                    + "); refusing to start rather than make a new key that cannot open them");
        }
        return create(file);
    }

    /** A new ring of one random key, written to {@code file} with mode 0600 (refused if the file exists). */
    static KeyRing create(Path file) {
        KeyRing ring = new KeyRing(List.of(newKey()), file);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            } catch (FileAlreadyExistsException e) {
                return read(file); // another server on this machine made it first
            }
            Files.writeString(file, ring.text(), StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            return ring;
        } catch (IOException e) {
            throw new Problem(500, "secrets_key_unavailable", "cannot create the secrets key " + file + ": " + e.getMessage() + " (or set " + ENV + ")");
        }
    }

    /**
     * This ring with a new current key appended, written over its file atomically (temp, fsync, rename) so a crash
     * leaves the old ring or the new one, never half of one. A ring from the environment cannot be changed here.
     */
    public KeyRing rotated() {
        if (file == null) {
            throw new Problem(409, "secrets_key_from_environment", "the secrets keys come from " + ENV
                    + ": add a line '<id> <base64 of 32 random bytes>' at its end and restart the server");
        }
        List<Key> next = new ArrayList<>(keys);
        next.add(newKey());
        KeyRing ring = new KeyRing(next, file);
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(temp);
            try {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(temp);
            }
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.write(StandardCharsets.UTF_8.encode(ring.text()));
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new Problem(500, "secrets_key_unavailable", "cannot write the rotated secrets key " + file + ": " + e.getMessage());
        }
        return ring;
    }

    private static Key newKey() {
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[32];
        random.nextBytes(key);
        byte[] id = new byte[4];
        random.nextBytes(id);
        return new Key("k" + HexFormat.of().formatHex(id), key);
    }

    private String text() {
        StringBuilder out = new StringBuilder("# Rollguard secrets keys: the last line seals, every line opens. Keep a copy apart from database backups.\n");
        for (Key k : keys) out.append(k.id()).append(' ').append(Base64.getEncoder().encodeToString(k.bytes())).append('\n');
        return out.toString();
    }

    private static KeyRing read(Path file) {
        try {
            return new KeyRing(parse(Files.readString(file)), file);
        } catch (IOException | IllegalArgumentException e) {
            throw new Problem(500, "invalid_secrets_key", "cannot read the secrets key " + file + ": " + e.getMessage());
        }
    }

    static List<Key> parse(String text) {
        List<Key> keys = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] parts = line.split("\\s+");
            if (parts.length != 2) throw new IllegalArgumentException("each line is '<id> <base64 of 32 bytes>'");
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the key of " + parts[0] + " is not base64");
            }
            if (keys.stream().anyMatch(k -> k.id().equals(parts[0]))) throw new IllegalArgumentException("key id " + parts[0] + " appears twice");
            keys.add(new Key(parts[0], bytes));
        }
        if (keys.isEmpty()) throw new IllegalArgumentException("no key in it");
        return keys;
    }
}
