package dev.rollguard.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.Json;
import dev.rollguard.config.Hashing;
import dev.rollguard.storage.Transactions;
import dev.rollguard.storage.Tx;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The append-only audit log of every state-changing action: who, what, on what, when, from where, before and
 * after. Each record's hash covers the previous record's hash and the record itself, so editing or deleting any
 * past record breaks the chain from there on; {@link #verify()} finds the first broken link. With a key
 * ({@link AuditKey}, kept outside the database) the hash is an HMAC: someone who edits a record and recomputes every
 * later hash still fails verification, because they cannot compute the HMAC. Records written before the log had a
 * key keep their plain SHA-256 and verify as such up to the first keyed record; after it, every record must be keyed.
 */
public final class AuditLog {
    public static final String GENESIS = "0".repeat(64);
    private static final int MAX_STATE = 16_000;

    public record Entry(long seq, Instant at, String actor, String source, String action, String target, int status, String before,
                        String after, String prevHash, String hash) {}

    /** {@code unkeyedRecords}: records from before the log had a key, verified by their plain hash chain only. */
    public record Verification(boolean ok, long records, Long firstBadSeq, String problem, String headHash, long unkeyedRecords) {}

    private record Broken(Long seq, String problem) {}

    private final Transactions db;
    private final AuditStore store;
    private final Clock clock;
    private final byte[] key;
    /** Things that must each have an audit record (versions: their record's number, null if none), checked by verify. */
    private final List<Supplier<Map<String, Long>>> witnesses = new CopyOnWriteArrayList<>();

    public AuditLog(Transactions db, AuditStore store, Clock clock) {
        this(db, store, clock, null);
    }

    public AuditLog(Transactions db, AuditStore store, Clock clock, byte[] key) {
        this.db = db;
        this.store = store;
        this.clock = clock;
        this.key = key == null ? null : key.clone();
    }

    /** Records that must exist: each entry names a thing and the number of its audit record (null: it has none). */
    public void requireRecordsOf(Supplier<Map<String, Long>> witness) {
        witnesses.add(witness);
    }

    /**
     * A log that has records but none under this key (written before keys, or the key is new) gets one keyed record
     * now, so that from here on the unkeyed past can no longer be rewritten: that record's HMAC covers its head.
     * Only for a key just made or given by the operator: a log whose keyed records were rewritten stays broken.
     */
    public void sealUnkeyedPast(AuditKey k) {
        if (key == null || k.file() != null && !k.created()) return;
        boolean[] keyed = {false};
        long[] count = {0};
        forEach(e -> {
            count[0]++;
            if (hmac(e).equals(e.hash())) keyed[0] = true;
        });
        if (count[0] == 0 || keyed[0]) return;
        LoggerFactory.getLogger(AuditLog.class).warn("audit log: sealing {} record(s) written before it had a key", count[0]);
        append("rollguard", null, "audit_key_sealed", "audit", 200, null, "{\"unkeyedRecords\":" + count[0] + "}");
    }

    /**
     * Appends one record. Two servers (or threads on PostgreSQL) may race for the next number: the primary key
     * refuses the loser, which reads the new head and tries again, so the chain never forks.
     */
    public Entry append(String actor, String source, String action, String target, int status, String before, String after) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                return tryAppend(actor, source, action, target, status, before, after);
            } catch (RuntimeException e) {
                if (!AuditStore.lostRace(e)) throw e;
                last = e;
                try {
                    Thread.sleep(1 + ThreadLocalRandom.current().nextInt(5 + attempt * 2));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
        throw last;
    }

    private Entry tryAppend(String actor, String source, String action, String target, int status, String before, String after) {
        return db.inTransaction(tx -> append(tx, actor, source, action, target, status, before, after));
    }

    /**
     * Appends one record inside the caller's transaction: the change it records and the record commit together or not
     * at all (numbering is serialized: SQLite has one writer, PostgreSQL takes an advisory lock).
     */
    public Entry append(Tx tx, String actor, String source, String action, String target, int status, String before, String after) {
        Instant at = clock.instant();
        var last = store.lockHead(tx);
        long seq = last.map(head -> head.seq() + 1).orElse(1L);
        String prev = last.map(AuditStore.Head::hash).orElse(GENESIS);
        Entry e = new Entry(seq, Instant.ofEpochMilli(at.toEpochMilli()), actor, source, action, target, status, cut(before), cut(after), prev, null);
        Entry written = new Entry(seq, e.at(), actor, source, action, target, status, e.before(), e.after(), prev, hash(e));
        store.insert(tx, written);
        return written;
    }

    private static String cut(String s) {
        return s == null || s.length() <= MAX_STATE ? s : s.substring(0, MAX_STATE) + "…(truncated)";
    }

    /** The hash a record gets now: keyed if this log has a key. */
    String hash(Entry e) {
        return key == null ? sha(e) : hmac(e);
    }

    /** HMAC-SHA256 with the log's key over what {@link #sha} covers; never equal to a stored hash without a key. */
    String hmac(Entry e) {
        if (key == null) return "";
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(canonical(e).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    /** SHA-256 over the previous hash and a canonical JSON of every field but the hash (records from before keys). */
    static String sha(Entry e) {
        return Hashing.sha256(canonical(e));
    }

    private static String canonical(Entry e) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("seq", e.seq());
        n.put("at", e.at().toEpochMilli());
        n.put("actor", e.actor());
        n.put("source", e.source());
        n.put("action", e.action());
        n.put("target", e.target());
        n.put("status", e.status());
        n.put("before", e.before());
        n.put("after", e.after());
        return e.prevHash() + "\n" + n;
    }

    public List<Entry> entries(long afterSeq, int limit) {
        return store.entries(afterSeq, limit);
    }

    /** Every record in order, page by page. */
    public void forEach(Consumer<Entry> each) {
        long after = 0;
        while (true) {
            List<Entry> page = entries(after, 1000);
            page.forEach(each);
            if (page.size() < 1000) return;
            after = page.get(page.size() - 1).seq();
        }
    }

    /**
     * Recomputes the chain. A record whose hash does not match its content was edited; one whose previous hash
     * does not match its predecessor, or a gap in the sequence, means records were removed or inserted.
     */
    public Verification verify() {
        long[] count = {0};
        long[] unkeyed = {0};
        boolean[] keyedSeen = {false};
        String[] prev = {GENESIS};
        long[] expectedSeq = {1};
        List<Broken> bad = new ArrayList<>();
        forEach(e -> {
            count[0]++;
            if (!bad.isEmpty()) return;
            if (e.seq() != expectedSeq[0]) bad.add(new Broken(e.seq(), "record " + expectedSeq[0] + " is missing (next is " + e.seq() + ")"));
            else if (!e.prevHash().equals(prev[0])) bad.add(new Broken(e.seq(), "record " + e.seq() + " does not follow its predecessor"
                    + " (a record before it was changed or removed)"));
            else if (key != null && hmac(e).equals(e.hash())) keyedSeen[0] = true;
            else if ((key == null || !keyedSeen[0]) && sha(e).equals(e.hash())) unkeyed[0]++;
            else bad.add(new Broken(e.seq(), "record " + e.seq() + " was changed after it was written"
                    + (key == null ? "" : " (its keyed hash does not match: changed, or rewritten without the key)")));
            prev[0] = e.hash();
            expectedSeq[0] = e.seq() + 1;
        });
        if (bad.isEmpty() && key != null && count[0] > 0 && !keyedSeen[0]) {
            bad.add(new Broken(1L, "no record carries this server's audit key: the log was rewritten, or the key is not the one it was "
                    + "written with"));
        }
        if (bad.isEmpty()) {
            long last = expectedSeq[0] - 1;
            for (Supplier<Map<String, Long>> w : witnesses) {
                for (Map.Entry<String, Long> m : new TreeMap<>(w.get()).entrySet()) {
                    Long seq = m.getValue();
                    if (seq == null) bad.add(new Broken(null, m.getKey() + " has no audit record"));
                    else if (seq > last) bad.add(new Broken(seq, m.getKey() + "'s audit record " + seq + " is missing"));
                    if (!bad.isEmpty()) break;
                }
            }
        }
        if (bad.isEmpty()) return new Verification(true, count[0], null, null, prev[0], unkeyed[0]);
        return new Verification(false, count[0], bad.get(0).seq(), bad.get(0).problem(), null, unkeyed[0]);
    }
}
