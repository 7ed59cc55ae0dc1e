package dev.rollguard.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollguard.Json;
import dev.rollguard.config.Hashing;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The append-only audit log of every state-changing action: who, what, on what, when, from where, before and
 * after. Each record's hash covers the previous record's hash and the record itself, so editing or deleting any
 * past record breaks the chain from there on; {@link #verify()} finds the first broken link.
 */
public final class AuditLog {
    public static final String GENESIS = "0".repeat(64);
    private static final int MAX_STATE = 16_000;

    public record Entry(long seq, Instant at, String actor, String source, String action, String target, int status, String before,
                        String after, String prevHash, String hash) {}

    public record Verification(boolean ok, long records, Long firstBadSeq, String problem, String headHash) {}

    private record Broken(long seq, String problem) {}

    private final AuditStore store;
    private final Clock clock;

    public AuditLog(AuditStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
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
            } catch (UnableToExecuteStatementException e) {
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
        Instant at = clock.instant();
        return store.inTransaction(h -> {
            var last = store.lockHead(h);
            long seq = last.map(head -> head.seq() + 1).orElse(1L);
            String prev = last.map(AuditStore.Head::hash).orElse(GENESIS);
            Entry e = new Entry(seq, Instant.ofEpochMilli(at.toEpochMilli()), actor, source, action, target, status, cut(before), cut(after), prev, null);
            Entry written = new Entry(seq, e.at(), actor, source, action, target, status, e.before(), e.after(), prev, hash(e));
            store.insert(h, written);
            return written;
        });
    }

    private static String cut(String s) {
        return s == null || s.length() <= MAX_STATE ? s : s.substring(0, MAX_STATE) + "…(truncated)";
    }

    /** SHA-256 over the previous hash and a canonical JSON of every field but the hash. */
    static String hash(Entry e) {
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
        return Hashing.sha256(e.prevHash() + "\n" + n);
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
        String[] prev = {GENESIS};
        long[] expectedSeq = {1};
        List<Broken> bad = new ArrayList<>();
        forEach(e -> {
            count[0]++;
            if (!bad.isEmpty()) return;
            if (e.seq() != expectedSeq[0]) bad.add(new Broken(e.seq(), "record " + expectedSeq[0] + " is missing (next is " + e.seq() + ")"));
            else if (!e.prevHash().equals(prev[0])) bad.add(new Broken(e.seq(), "record " + e.seq() + " does not follow its predecessor"
                    + " (a record before it was changed or removed)"));
            else if (!hash(e).equals(e.hash())) bad.add(new Broken(e.seq(), "record " + e.seq() + " was changed after it was written"));
            prev[0] = e.hash();
            expectedSeq[0] = e.seq() + 1;
        });
        if (bad.isEmpty()) return new Verification(true, count[0], null, null, prev[0]);
        return new Verification(false, count[0], bad.get(0).seq(), bad.get(0).problem(), null);
    }
}
