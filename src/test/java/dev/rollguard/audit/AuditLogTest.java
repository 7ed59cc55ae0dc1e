package dev.rollguard.audit;

import dev.rollguard.storage.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hash chain without HTTP, on a SQLite file: what it links, what breaks it, and what a key adds. */
class AuditLogTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;
    Database db;
    AuditStore store;

    @BeforeEach
    void setUp() {
        db = Database.sqlite(dir.resolve("rg.db"));
        store = new AuditStore(db.jdbi());
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    private AuditLog log(byte[] key) {
        return new AuditLog(db, store, Clock.systemUTC(), key);
    }

    private static void history(AuditLog log, int n) {
        for (int i = 1; i <= n; i++) log.append("alice", "127.0.0.1", "push", "wp/v" + i, 201, null, "{\"v\":" + i + "}");
    }

    private void sql(String update) {
        db.jdbi().useHandle(h -> h.execute(update));
    }

    /** What someone with the database but not the key does after an edit: every later hash recomputed as SHA-256. */
    private void rewriteFrom(long seq) {
        String prev = seq == 1 ? AuditLog.GENESIS : store.entries(seq - 2, 1).get(0).hash();
        for (AuditLog.Entry e : store.entries(seq - 1, 1000)) {
            AuditLog.Entry relinked = new AuditLog.Entry(e.seq(), e.at(), e.actor(), e.source(), e.action(), e.target(), e.status(), e.before(),
                    e.after(), prev, null);
            String hash = AuditLog.sha(relinked);
            sql("UPDATE audit SET prev_hash = '" + prev + "', hash = '" + hash + "' WHERE seq = " + e.seq());
            prev = hash;
        }
    }

    @Test
    void eachRecordFollowsThePreviousOneAndTheChainVerifies() {
        AuditLog log = log(null);
        AuditLog.Entry first = log.append("alice", "127.0.0.1", "push", "wp/v1", 201, null, "{}");
        AuditLog.Entry second = log.append("bob", null, "release", "wp/production", 202, "{\"v\":0}", "{\"v\":1}");
        assertThat(first.seq()).isEqualTo(1);
        assertThat(first.prevHash()).isEqualTo(AuditLog.GENESIS);
        assertThat(second.prevHash()).isEqualTo(first.hash());
        assertThat(store.entries(0, 10)).containsExactly(first, second);
        assertThat(log.verify()).isEqualTo(new AuditLog.Verification(true, 2, null, null, second.hash(), 2));
    }

    @Test
    void anEditedRecordAndARemovedOneAreFoundByNumber() {
        AuditLog log = log(null);
        history(log, 4);
        sql("UPDATE audit SET actor = 'mallory' WHERE seq = 3");
        AuditLog.Verification edited = log.verify();
        assertThat(edited.ok()).isFalse();
        assertThat(edited.firstBadSeq()).isEqualTo(3);
        assertThat(edited.problem()).contains("record 3 was changed");

        sql("UPDATE audit SET actor = 'alice' WHERE seq = 3");
        assertThat(log.verify().ok()).isTrue();
        sql("DELETE FROM audit WHERE seq = 2");
        assertThat(log.verify().problem()).isEqualTo("record 2 is missing (next is 3)");
    }

    @Test
    void withoutTheKeyARewrittenChainIsStillCaught() {
        AuditLog keyed = log(KEY);
        history(keyed, 3);
        assertThat(keyed.verify().ok()).isTrue();
        assertThat(keyed.verify().unkeyedRecords()).isZero();
        sql("UPDATE audit SET after_state = '{\"v\":99}' WHERE seq = 2");
        rewriteFrom(2);
        AuditLog.Verification v = keyed.verify();
        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadSeq()).isEqualTo(2);
        assertThat(v.problem()).contains("rewritten without the key");
    }

    @Test
    void aLogVerifiedWithAnotherKeyOrWithoutItsKeyedRecordsIsRefused() {
        history(log(KEY), 2);
        byte[] other = KEY.clone();
        other[0] ^= 1;
        AuditLog.Verification v = log(other).verify();
        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadSeq()).isEqualTo(1);
        assertThat(v.problem()).contains("its keyed hash does not match");

        // the whole log rewritten as a plain chain: it links, but no record carries the key
        rewriteFrom(1);
        assertThat(log(null).verify().ok()).isTrue();
        assertThat(log(KEY).verify().problem()).contains("no record carries this server's audit key");
    }

    @Test
    void anUnkeyedPastIsSealedByOneKeyedRecordAndCannotBeRewrittenAfterIt() {
        history(log(null), 3);
        AuditLog keyed = log(KEY);
        keyed.sealUnkeyedPast(new AuditKey(KEY, null, false));
        List<AuditLog.Entry> all = store.entries(0, 10);
        assertThat(all).hasSize(4);
        assertThat(all.get(3).action()).isEqualTo("audit_key_sealed");
        assertThat(all.get(3).after()).isEqualTo("{\"unkeyedRecords\":3}");
        assertThat(keyed.verify()).extracting(AuditLog.Verification::ok, AuditLog.Verification::unkeyedRecords).containsExactly(true, 3L);
        keyed.sealUnkeyedPast(new AuditKey(KEY, null, false));
        assertThat(store.entries(0, 10)).as("sealed once").hasSize(4);

        sql("UPDATE audit SET actor = 'mallory' WHERE seq = 1");
        rewriteFrom(1);
        assertThat(keyed.verify().ok()).as("the sealing record's HMAC covered the old head").isFalse();
    }

    @Test
    void aRecordWrittenInARolledBackTransactionIsNotInTheLog() {
        AuditLog log = log(null);
        assertThatThrownBy(() -> db.useTransaction(tx -> {
            log.append(tx, "alice", null, "push", "wp/v1", 201, null, "{}");
            throw new IllegalStateException("the change failed");
        })).hasMessageContaining("the change failed");
        assertThat(store.entries(0, 10)).isEmpty();
        assertThat(log.append("alice", null, "push", "wp/v1", 201, null, "{}").seq()).isEqualTo(1);
    }

    @Test
    void aHugeStateIsCutAndStillVerifies() {
        AuditLog log = log(null);
        AuditLog.Entry e = log.append("alice", null, "put", "wp", 200, null, "x".repeat(40_000));
        assertThat(e.after()).hasSize(16_000 + "…(truncated)".length()).endsWith("…(truncated)");
        assertThat(log.verify().ok()).isTrue();
    }

    @Test
    void somethingThatMustHaveARecordAndHasNoneFailsVerification() {
        AuditLog log = log(null);
        history(log, 2);
        Map<String, Long> versions = new HashMap<>(Map.of("wp v1", 1L, "wp v2", 2L));
        log.requireRecordsOf(() -> versions);
        assertThat(log.verify().ok()).isTrue();
        versions.put("wp v3", 3L);
        assertThat(log.verify().problem()).isEqualTo("wp v3's audit record 3 is missing");
        versions.put("wp v3", null);
        assertThat(log.verify().problem()).isEqualTo("wp v3 has no audit record");
    }
}
