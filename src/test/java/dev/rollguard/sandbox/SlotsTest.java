package dev.rollguard.sandbox;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Who gets a freed checker slot, and what happens when too many wait. */
class SlotsTest {
    private static final Duration LONG = Duration.ofMinutes(5);

    /** A waiter that, once served, records its owner and gives the slot back at once. */
    private static Thread waiter(Slots slots, Turn turn, List<String> served, AtomicReference<Throwable> failed) {
        Thread t = new Thread(() -> {
            try (Slots.Slot s = slots.acquire(turn)) {
                served.add(turn.owner());
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void aHugePushDoesNotGoAheadOfAnotherServicesOneCheck() throws InterruptedException {
        Slots slots = new Slots(1, 16, 64);
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Slots.Slot held = slots.acquire(Turn.of("huge", LONG));
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            threads.add(waiter(slots, Turn.of("huge", LONG), served, failed));
            int n = i + 1;
            await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == n);
        }
        threads.add(waiter(slots, Turn.of("small", LONG), served, failed));
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 6);

        held.close();
        for (Thread t : threads) t.join(30_000);
        assertThat(failed.get()).isNull();
        // "small" came last but is served next: "huge" was served more recently
        assertThat(served).containsExactly("small", "huge", "huge", "huge", "huge", "huge");
        assertThat(slots.use()).isEqualTo(new Slots.Use(1, 0, 0));
    }

    @Test
    void aFreedSlotGoesToTheOwnerWithFewerRunsGoing() throws InterruptedException {
        Slots slots = new Slots(2, 16, 64);
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Slots.Slot a1 = slots.acquire(Turn.of("a", LONG));
        Slots.Slot b1 = slots.acquire(Turn.of("b", LONG));
        Thread a2 = waiter(slots, Turn.of("a", LONG), served, failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 1);
        Thread b2 = waiter(slots, Turn.of("b", LONG), served, failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 2);
        // b's slot is freed while a still runs one: b's waiter goes first though a's came earlier
        b1.close();
        b2.join(30_000);
        assertThat(served).containsExactly("b");
        a1.close();
        a2.join(30_000);
        assertThat(served).containsExactly("b", "a");
        assertThat(failed.get()).isNull();
    }

    @Test
    void tooManyWaitingAreRefusedWithWhenToRetry() {
        Slots slots = new Slots(1, 2, 3);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<String> served = Collections.synchronizedList(new ArrayList<>());
        Slots.Slot held = slots.acquire(Turn.of("a", LONG));
        List<Turn> turns = new ArrayList<>();
        for (String owner : List.of("a", "a", "b")) {
            Turn t = Turn.of(owner, LONG);
            turns.add(t);
            waiter(slots, t, served, failed);
            int n = turns.size();
            await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == n);
        }
        assertThatThrownBy(() -> slots.acquire(Turn.of("a", LONG))).isInstanceOfSatisfying(Slots.Refusal.class, e -> {
            assertThat(e.status()).isEqualTo(429);
            assertThat(e.code()).isEqualTo("checks_queue_full");
            assertThat(e.details()).containsEntry(Slots.RETRY_AFTER, 10);
        });
        assertThatThrownBy(() -> slots.acquire(Turn.of("c", LONG))).isInstanceOfSatisfying(Slots.Refusal.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.code()).isEqualTo("checkers_busy");
            assertThat(e.details()).containsEntry(Slots.RETRY_AFTER, 30);
        });
        turns.forEach(t -> t.cancel("test over"));
        held.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 0 && slots.use().running() == 0);
    }

    @Test
    void aWaiterWhoseTurnEndsLeavesTheQueue() {
        Slots slots = new Slots(1, 16, 64);
        Slots.Slot held = slots.acquire(Turn.of("a", LONG));
        Turn abandoned = Turn.of("b", LONG);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = waiter(slots, abandoned, Collections.synchronizedList(new ArrayList<>()), failed);
        await().atMost(Duration.ofSeconds(30)).until(() -> slots.use().waiting() == 1);
        abandoned.cancel("the request was abandoned");
        await().atMost(Duration.ofSeconds(30)).until(() -> !t.isAlive());
        assertThat(failed.get()).isInstanceOf(Turn.Over.class).hasMessageContaining("the request was abandoned");
        assertThat(slots.use()).isEqualTo(new Slots.Use(1, 1, 0));
        held.close();
        // a turn already over never takes a slot
        assertThatThrownBy(() -> slots.acquire(abandoned)).isInstanceOf(Turn.Over.class);
        assertThat(slots.use()).isEqualTo(new Slots.Use(1, 0, 0));
    }

    @Test
    void aTurnPastItsDeadlineIsOver() {
        Turn t = Turn.of("a", Duration.ZERO);
        assertThat(t.overReason()).isEqualTo("its time ran out");
        assertThatThrownBy(t::check).isInstanceOfSatisfying(Turn.Over.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.details()).containsKey(Slots.RETRY_AFTER);
        });
        assertThat(Turn.unbounded("cli").overReason()).isNull();
    }
}
