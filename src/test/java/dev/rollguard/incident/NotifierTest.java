package dev.rollguard.incident;

import dev.rollguard.TestServer;
import dev.rollguard.config.IncidentSettings;
import dev.rollguard.config.Severity;
import dev.rollguard.net.Outgoing;
import dev.rollguard.rollout.RolloutWorld;
import dev.rollguard.storage.Database;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Delivering the webhook outbox to a real receiver on loopback, one pass at a time ({@link Notifier#deliverDue()}, no
 * worker thread) on a SQLite file and a clock the test moves: what is sent, what is retried and when, what is given up.
 */
class NotifierTest {
    @TempDir
    Path dir;
    final RolloutWorld.ManualClock clock = new RolloutWorld.ManualClock();
    Database db;
    IncidentStore store;
    Notifier notifier;
    WebhookReceiver receiver;
    final List<Notifier.Outcome> outcomes = new CopyOnWriteArrayList<>();
    final List<String> attempts = new CopyOnWriteArrayList<>();
    int incident;

    @BeforeEach
    void setUp() throws Exception {
        db = Database.sqlite(dir.resolve("rg.db"));
        store = new IncidentStore(db.jdbi());
        notifier = new Notifier(store, clock, new Outgoing(TestServer.LOOPBACK));
        notifier.onOutcome(outcomes::add);
        notifier.countAttempts((kind, outcome) -> attempts.add(kind + ":" + outcome));
        Instant t = clock.instant();
        Incident i = new Incident(0, "wp", "production", "checkout is down", Severity.SEV2, Incident.Status.OPEN, Incident.Source.MANUAL, "c1",
                null, null, null, null, "alice", t, t, null, null, null, null, null, null, null, t);
        incident = db.inTransaction(tx -> store.insert(tx, i));
    }

    @AfterEach
    void tearDown() {
        notifier.close();
        if (receiver != null) receiver.close();
        db.close();
    }

    private IncidentSettings.Channel channel(String url, String secret) {
        return new IncidentSettings.Channel("hook", IncidentSettings.Kind.GENERIC, url, secret, null, Severity.SEV3);
    }

    private void enqueue(IncidentSettings.Channel c, PageAction action, String payload) {
        db.useTransaction(tx -> store.enqueue(tx, incident, c, action, payload, clock.instant()));
        // a later enqueue is a later row: the outbox keeps the order per incident and channel by creation time
        clock.advance(Duration.ofMillis(1));
    }

    private Notification only() {
        List<Notification> all = store.notifications(incident);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    @Test
    void aDueNotificationIsSentSignedAndMarkedSent() throws Exception {
        receiver = new WebhookReceiver(0, 0);
        enqueue(channel(receiver.url("/hook"), "s3cret"), PageAction.TRIGGER, "{\"n\":1}");
        assertThat(notifier.deliverDue()).isEqualTo(1);
        assertThat(receiver.at("/hook")).singleElement().satisfies(r -> {
            assertThat(r.body()).isEqualTo("{\"n\":1}");
            assertThat(Webhooks.verify("s3cret", r.signature(), r.body(), clock.instant().getEpochSecond(), 300)).isTrue();
        });
        Notification n = only();
        assertThat(n.status()).isEqualTo(Notification.Status.SENT);
        assertThat(n.attempts()).isEqualTo(1);
        assertThat(outcomes).singleElement().isInstanceOf(Notifier.Outcome.Delivered.class);
        assertThat(attempts).containsExactly("GENERIC:delivered");
        assertThat(notifier.deliverDue()).as("nothing is sent twice").isZero();
        assertThat(receiver.received).hasSize(1);
    }

    @Test
    void anOutageIsRetriedWithBackoffAndNothingIsLost() throws Exception {
        receiver = new WebhookReceiver(0, 1);
        enqueue(channel(receiver.url("/hook"), null), PageAction.TRIGGER, "{\"n\":1}");
        Instant first = clock.instant();
        assertThat(notifier.deliverDue()).isZero();
        Notification n = only();
        assertThat(n.status()).isEqualTo(Notification.Status.PENDING);
        assertThat(n.lastError()).isEqualTo("HTTP 503");
        assertThat(Duration.between(first, n.nextAttemptAt())).isBetween(Duration.ofMillis(800), Duration.ofMillis(1200));
        assertThat(outcomes).singleElement().isInstanceOfSatisfying(Notifier.Outcome.Failed.class, f -> {
            assertThat(f.notification().id()).isEqualTo(n.id());
            assertThat(f.error()).isEqualTo("HTTP 503");
            assertThat(f.gaveUp()).isFalse();
        });
        assertThat(notifier.deliverDue()).as("not due before its backoff").isZero();
        clock.advance(Duration.ofSeconds(2));
        assertThat(notifier.deliverDue()).isEqualTo(1);
        assertThat(only().status()).isEqualTo(Notification.Status.SENT);
        assertThat(attempts).containsExactly("GENERIC:failed", "GENERIC:delivered");
    }

    @Test
    void aResolveNeverOvertakesItsTrigger() throws Exception {
        receiver = new WebhookReceiver(0, 1);
        IncidentSettings.Channel hook = channel(receiver.url("/hook"), null);
        enqueue(hook, PageAction.TRIGGER, "{\"n\":\"trigger\"}");
        enqueue(hook, PageAction.RESOLVE, "{\"n\":\"resolve\"}");
        assertThat(notifier.deliverDue()).isZero();
        assertThat(receiver.received).as("the resolve waited behind the refused trigger").isEmpty();
        clock.advance(Duration.ofSeconds(2));
        notifier.deliverDue();
        notifier.deliverDue();
        assertThat(receiver.received).extracting(WebhookReceiver.Received::body).containsExactly("{\"n\":\"trigger\"}", "{\"n\":\"resolve\"}");
    }

    @Test
    void whatCannotSucceedIsGivenUpAtOnce() throws Exception {
        receiver = new WebhookReceiver(0, 0);
        // a receiver refusing the request itself, and an address the operator's policy does not allow
        enqueue(new IncidentSettings.Channel("bad", IncidentSettings.Kind.GENERIC, "http://169.254.169.254/hook", null, null, Severity.SEV3),
                PageAction.TRIGGER, "{}");
        notifier.deliverDue();
        Notification refused = only();
        assertThat(refused.status()).isEqualTo(Notification.Status.FAILED);
        assertThat(refused.lastError()).startsWith("not sent:");
        assertThat(outcomes).singleElement().satisfies(o -> assertThat(((Notifier.Outcome.Failed) o).gaveUp()).isTrue());
        assertThat(attempts).containsExactly("GENERIC:gave_up");
        assertThat(receiver.received).isEmpty();
    }

    @Test
    void aReceiverAwayForADayIsGivenUpOn() throws Exception {
        receiver = new WebhookReceiver(0, Integer.MAX_VALUE);
        enqueue(channel(receiver.url("/hook"), null), PageAction.TRIGGER, "{}");
        notifier.deliverDue();
        assertThat(only().status()).isEqualTo(Notification.Status.PENDING);
        clock.advance(Notifier.GIVE_UP_AFTER.plusMinutes(1));
        notifier.deliverDue();
        Notification n = only();
        assertThat(n.status()).isEqualTo(Notification.Status.FAILED);
        assertThat(n.attempts()).isEqualTo(2);
        assertThat(outcomes).hasSize(2).last().satisfies(o -> assertThat(((Notifier.Outcome.Failed) o).gaveUp()).isTrue());
    }

    @Property
    void backoffDoublesFromASecondUpToFiveMinutesWithinTwentyPercent(@ForAll @IntRange(min = 1, max = 60) int attempt) {
        long base = Math.min(Notifier.MAX_BACKOFF.toMillis(), 1000L << Math.min(attempt - 1, 20));
        List<Long> seen = new ArrayList<>();
        for (int i = 0; i < 20; i++) seen.add(Notifier.backoff(attempt).toMillis());
        assertThat(seen).allSatisfy(ms -> assertThat(ms).isBetween((long) (base * 0.8), (long) (base * 1.2)));
    }
}
